package dev.stepwise.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code stepwise serve}'s own input (the server itself is tested in stepwise-server). */
class ServeCommandTest {
    @TempDir
    Path data;

    private Cli.Result serve(String... args) {
        String[] all = new String[args.length + 3];
        all[0] = "serve";
        all[1] = "--data";
        all[2] = data.toString();
        System.arraycopy(args, 0, all, 3, args.length);
        return Cli.run(all);
    }

    @Test
    void anotherAddressNeedsApiAuth() {
        Cli.Result r = serve("--listen", "0.0.0.0");
        assertEquals(2, r.code());
        assertEquals("stepwise serve: --listen 0.0.0.0 is not a loopback address: listening on it needs --api-auth"
                + " USER:PASSWORD (basic auth on every request)", r.err().strip());
    }

    @Test
    void badValuesAreOneLineWithExitCode2() {
        String[][] cases = {{"--port", "70000"}, {"--api-auth", "nopassword"}, {"--queue", "0"}, {"--limit", "cells=3"},
                {"--limit", "steps=x"}};
        String[] expected = {"--port 70000 is not allowed; port must be in 0..65535", "--api-auth must be USER:PASSWORD",
                "--queue 0 is not allowed", "--limit cells=3: no such limit here; allowed: steps, batch",
                "--limit steps=x is not allowed"};
        for (int i = 0; i < cases.length; i++) {
            Cli.Result r = serve(cases[i]);
            assertEquals(2, r.code(), String.join(" ", cases[i]) + ": " + r);
            assertEquals(1, r.errLines(), r.err());
            assertTrue(r.err().contains(expected[i]), r.err());
        }
    }

    @Test
    void aPortInUseIsAFailureNamingIt() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Cli.Result r = serve("--port", Integer.toString(taken.getLocalPort()), "--models", Cli.fixtureModels().toString());
            assertEquals(1, r.code(), r.toString());
            assertTrue(r.err().startsWith("stepwise serve: cannot listen on 127.0.0.1:" + taken.getLocalPort()), r.err());
        }
    }
}

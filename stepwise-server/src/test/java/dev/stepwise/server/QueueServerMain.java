package dev.stepwise.server;

import java.nio.file.Path;

/**
 * A server in a process of its own, for the kill-and-restart test: args MODELS DATA; prints "PORT n" once it listens,
 * then serves until killed. Steps up to 1000000, so that a job can be long enough to be killed while it runs.
 */
public final class QueueServerMain {
    private QueueServerMain() {
    }

    public static void main(String[] args) throws Exception {
        ServerConfig c = ServerConfig.defaults(Path.of(args[0]), Path.of(args[1])).withPort(0)
                .withLimits(ServerConfig.LIMITS.with("steps", 1_000_000));
        StepwiseServer s = StepwiseServer.start(c);
        System.out.println("PORT " + s.port());
        System.out.flush();
        Thread.currentThread().join();
    }
}

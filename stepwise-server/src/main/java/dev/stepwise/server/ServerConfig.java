package dev.stepwise.server;

import dev.stepwise.harness.Limits;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;

/**
 * How {@code stepwise serve} runs.
 *
 * @param host     the address to listen on: loopback unless {@code auth} is given
 * @param port     0 for any free port
 * @param models   the folder model names are looked up in
 * @param data     the folder of the job database and the images
 * @param auth     "user:password" for HTTP basic auth on every request, or null (loopback only)
 * @param limits   the sizes a request may ask for (steps, images a job)
 * @param queue    jobs that may wait at once; more get 429
 * @param maxBody  the largest request body in bytes; more get 413
 */
public record ServerConfig(String host, int port, Path models, Path data, String auth, Limits limits, int queue,
                           long maxBody) {

    /** The server's own defaults: 1000 steps and 64 images a job, 32 jobs waiting, 8 MiB bodies (a few PNGs in base64). */
    public static final Limits LIMITS = Limits.DEFAULT.with("steps", 1000).with("batch", 64)
            .raisedBy("stepwise serve --limit");
    public static final int QUEUE = 32;
    public static final long MAX_BODY = 8L << 20;

    public ServerConfig {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--port " + port + " is not allowed; port must be in 0..65535 (0 = any free port)");
        }
        if (queue < 1) {
            throw new IllegalArgumentException("--queue " + queue + " is not allowed; queue must be at least 1");
        }
        if (auth != null && (auth.indexOf(':') <= 0 || auth.indexOf(':') == auth.length() - 1)) {
            throw new IllegalArgumentException("--api-auth must be USER:PASSWORD, both non-empty");
        }
        if (auth == null && !isLoopback(host)) {
            throw new IllegalArgumentException("--listen " + host + " is not a loopback address: listening on it needs"
                    + " --api-auth USER:PASSWORD (basic auth on every request)");
        }
    }

    public static ServerConfig defaults(Path models, Path data) {
        return new ServerConfig("127.0.0.1", 7860, models, data, null, LIMITS, QUEUE, MAX_BODY);
    }

    public ServerConfig withPort(int p) {
        return new ServerConfig(host, p, models, data, auth, limits, queue, maxBody);
    }

    public ServerConfig withQueue(int q) {
        return new ServerConfig(host, port, models, data, auth, limits, q, maxBody);
    }

    public ServerConfig withAuth(String a) {
        return new ServerConfig(host, port, models, data, a, limits, queue, maxBody);
    }

    public ServerConfig withLimits(Limits l) {
        return new ServerConfig(host, port, models, data, auth, l, queue, maxBody);
    }

    /** Whether an address is loopback (127.0.0.0/8, ::1, localhost), without asking DNS for anything else. */
    static boolean isLoopback(String host) {
        if (host.equals("localhost")) {
            return true;
        }
        if (!host.matches("[0-9.]+|[0-9a-fA-F:]+")) {
            return false;   // a name: resolving it would depend on DNS; take it as not loopback
        }
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}

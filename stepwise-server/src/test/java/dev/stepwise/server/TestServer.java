package dev.stepwise.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A server for one test class, on an ephemeral loopback port, with the tiny fixture models and a fresh data folder:
 * {@code @RegisterExtension static final TestServer server = new TestServer();}
 */
final class TestServer implements BeforeAllCallback, AfterAllCallback {
    private final UnaryOperator<ServerConfig> config;
    private Path data;
    private StepwiseServer server;
    private Http http;

    TestServer() {
        this(c -> c);
    }

    /** A server whose defaults {@code config} changes (other limits, a models folder). */
    TestServer(UnaryOperator<ServerConfig> config) {
        this.config = config;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        data = Files.createTempDirectory("stepwise-server-test");
        server = StepwiseServer.start(config.apply(ServerConfig.defaults(Http.fixtures(), data).withPort(0)));
        http = new Http(server.port());
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        if (server != null) {
            server.close();
        }
        if (data != null) {
            try (Stream<Path> files = Files.walk(data)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    Http http() {
        return http;
    }

    /** The data folder (jobs database, outputs, compare runs). */
    Path data() {
        return data;
    }

    int port() {
        return server.port();
    }

    String url() {
        return server.url();
    }

    List<String> routes() {
        return server.routes();
    }
}

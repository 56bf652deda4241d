package dev.stepwise.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.staticfiles.Location;
import io.javalin.security.BasicAuthCredentials;
import io.javalin.json.JavalinJackson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;

/**
 * {@code stepwise serve}: the HTTP server. Routes are thin: each reads its request, turns it into the library's
 * settings ({@link GenerateSpec}, {@link CompareSpec}), goes through the one {@link JobQueue}, and writes the result in its API's shape
 * (the native API here, A1111's in {@link A1111Api}, ComfyUI's in {@link ComfyApi}). Every error is JSON naming the
 * field (ComfyUI's /prompt: its node_errors shape); none carries a stack trace.
 */
public final class StepwiseServer implements AutoCloseable {
    static {
        // Jetty and Javalin log through SLF4J: warnings and errors only, on stderr.
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        // Javalin's own log would print a stack trace for a port in use; the server reports that in one line itself.
        if (System.getProperty("org.slf4j.simpleLogger.log.io.javalin.Javalin") == null) {
            System.setProperty("org.slf4j.simpleLogger.log.io.javalin.Javalin", "off");
        }
    }

    final ServerConfig config;
    final ObjectMapper json = new ObjectMapper();
    final JobQueue queue;
    final CompareRuns compares;
    final Path outputs;
    private final JobStore store;
    private final CompareStore compareStore;
    private final Javalin app;

    private StepwiseServer(ServerConfig config) throws IOException {
        this.config = config;
        Files.createDirectories(config.data());
        outputs = config.data().resolve("outputs");
        Files.createDirectories(outputs);
        store = new JobStore(config.data(), json);
        compareStore = new CompareStore(config.data());
        Path compareRoot = config.data().resolve("compare");
        Files.createDirectories(compareRoot);
        compares = new CompareRuns(compareStore, json, config.models(), config.limits(), compareRoot);
        queue = new JobQueue(store, new Generator(config.models(), outputs, config.limits()), compares, config.queue());
        app = Javalin.create(this::configure);
    }

    /** Starts a server; {@link #port()} tells the port when the config asks for any (0). */
    public static StepwiseServer start(ServerConfig config) throws IOException {
        StepwiseServer s = new StepwiseServer(config);
        try {
            s.app.start(config.host(), config.port());
        } catch (RuntimeException e) {
            s.close();
            throw new IOException("cannot listen on " + config.host() + ":" + config.port() + ": "
                    + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()), e);
        }
        return s;
    }

    /**
     * The HTTP routes served, as "GET /api/samplers", a path parameter that may hold '/' written as OpenAPI writes
     * any ({@code {path}}): the OpenAPI description is tested against them.
     */
    public java.util.List<String> routes() {
        return app.unsafe.internalRouter.allHttpHandlers().stream().map(e -> e.endpoint)
                .filter(e -> e.method.isHttpMethod())
                .map(e -> e.method.name() + " " + e.path.replaceAll("<([^>]+)>", "{$1}")).sorted().toList();
    }

    public int port() {
        return app.port();
    }

    /** The address to open: http://127.0.0.1:7860/ */
    public String url() {
        String h = config.host().contains(":") ? "[" + config.host() + "]" : config.host();
        return "http://" + h + ":" + port() + "/";
    }

    private void configure(JavalinConfig c) {
        c.startup.showJavalinBanner = false;
        c.startup.showOldJavalinVersionWarning = false;
        c.http.maxRequestSize = config.maxBody();
        c.jsonMapper(new JavalinJackson(json, false));
        if (config.auth() != null) {
            c.routes.before(this::authenticate);
        }
        c.routes.exception(ApiException.class, (e, ctx) -> error(ctx, e.status(), e.field(), e.getMessage()));
        c.routes.exception(HttpResponseException.class, (e, ctx) -> error(ctx, e.getStatus(), null, switch (e.getStatus()) {
            case 413 -> "the request body is over the limit of " + config.maxBody() + " bytes";
            case 404 -> "no such endpoint: " + ctx.method().name() + " " + ctx.path() + " (see /openapi.json)";
            case 405 -> "method " + ctx.method().name() + " is not allowed on " + ctx.path();
            default -> e.getMessage();
        }));
        c.routes.exception(Exception.class, (e, ctx) -> error(ctx, 500, null, "internal error: "
                + e.getClass().getSimpleName()));
        c.routes.error(404, ctx -> {
            if (ctx.attribute(ERROR_WRITTEN) == null) {
                error(ctx, 404, null, "no such endpoint: " + ctx.method().name() + " " + ctx.path() + " (see /openapi.json)");
            }
        });
        c.routes.error(405, ctx -> {
            if (ctx.attribute(ERROR_WRITTEN) == null) {
                error(ctx, 405, null, "method " + ctx.method().name() + " is not allowed on " + ctx.path());
            }
        });
        // The page: static files, no build step (web/index.html, app.js, style.css).
        c.staticFiles.add(files -> {
            files.hostedPath = "/ui";
            files.directory = "/dev/stepwise/server/web";
            files.location = Location.CLASSPATH;
        });
        c.routes.get("/", ctx -> ctx.redirect("/ui/index.html"));
        NativeApi.routes(this, c);
        CompareApi.routes(this, c);
        A1111Api.routes(this, c);
        ComfyApi.routes(this, c);
        c.routes.get("/openapi.json", ctx -> ctx.contentType("application/json").result(resource("openapi.json")));
    }

    static String resource(String name) {
        try (var in = StepwiseServer.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void authenticate(Context ctx) {
        BasicAuthCredentials given = ctx.basicAuthCredentials();
        String expected = config.auth();
        boolean ok = given != null && MessageDigest.isEqual((given.getUsername() + ":" + given.getPassword())
                .getBytes(StandardCharsets.UTF_8), expected.getBytes(StandardCharsets.UTF_8));
        if (!ok) {
            ctx.header("WWW-Authenticate", "Basic realm=\"stepwise\"");
            throw new ApiException(401, null, "this server needs basic auth (user and password as given to --api-auth)");
        }
    }

    /** Set on a request whose error body is written, so that the status's error handler leaves it. */
    private static final String ERROR_WRITTEN = "stepwise.error";

    void error(Context ctx, int status, String field, String message) {
        ctx.attribute(ERROR_WRITTEN, Boolean.TRUE);
        ObjectNode n = json.createObjectNode();
        n.put("error", message == null ? "error" : message);
        if (field != null) {
            n.put("field", field);
        }
        ctx.status(status).contentType("application/json").result(n.toString());
    }

    /** The body as JSON; a 400 naming the problem when it is not JSON. */
    JsonNode body(Context ctx) {
        byte[] bytes = ctx.bodyAsBytes();
        if (bytes.length == 0) {
            throw ApiException.bad(null, "the request has no body; send a JSON object");
        }
        try {
            return json.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw ApiException.bad(null, "the body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw ApiException.bad(null, "the body cannot be read: " + e.getMessage());
        }
    }

    /** A finished image's bytes (a path the store gave, relative to the outputs folder). */
    byte[] image(String relative) {
        try {
            return Files.readAllBytes(outputs.resolve(relative));
        } catch (IOException e) {
            throw new ApiException(410, null, "image " + relative + " is no longer in the data folder");
        }
    }

    /**
     * The regular file {@code relative} names under {@code root}, never one outside it: a name with "..", an absolute
     * path or a link that leads out is a 400 naming {@code field}, a missing file a 404.
     *
     * @param what names the folder in messages ("the outputs folder")
     */
    static Path inside(Path root, String relative, String field, String what) throws IOException {
        checkRelative(relative, field, what);
        Path real = Files.isDirectory(root) ? root.toRealPath() : root;
        Path file = real.resolve(relative).normalize();
        if (!file.startsWith(real) || !Files.isRegularFile(file)) {
            throw new ApiException(404, field, "no file '" + relative + "' in " + what);
        }
        if (!file.toRealPath().startsWith(real)) {
            throw ApiException.bad(field, field + " '" + relative + "' leads outside " + what);
        }
        return file.toRealPath();
    }

    /** Refuses a relative name that could lead out of a folder: "..", an absolute path, a drive, a backslash. */
    static void checkRelative(String relative, String field, String what) {
        if (relative.startsWith("/") || relative.contains("..") || relative.contains("\\") || relative.indexOf('\0') >= 0
                || relative.matches("^[A-Za-z]:.*")) {
            throw ApiException.bad(field, field + " '" + relative + "' is not allowed: a name inside " + what
                    + ", without '..' or an absolute path");
        }
    }

    @Override
    public void close() {
        app.stop();
        queue.close();
        compareStore.close();
        store.close();
    }
}

package dev.stepwise.cli;

import dev.stepwise.harness.Limits;
import dev.stepwise.harness.ModelFolders;
import dev.stepwise.server.ServerConfig;
import dev.stepwise.server.StepwiseServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code stepwise serve}: the HTTP server (native API, A1111 and ComfyUI subsets) until the process is stopped. */
@Command(name = "serve", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
        description = "Serve the generate pipeline over HTTP: the native API (/api/..., described at /openapi.json) and"
                + " the AUTOMATIC1111 subset (/sdapi/v1/txt2img and friends), the ComfyUI subset (/prompt, /history, /view,"
                + " /ws), every job through one queue kept in the"
                + " data folder.",
        footer = {"", "Listens on 127.0.0.1 unless --listen names another address, which needs --api-auth.",
                "Exit codes: 0 stopped, 1 cannot listen or open the data folder, 2 bad input.", "",
                "Example:", "  stepwise serve --port 7860", "  curl -s localhost:7860/api/generate -d '{\"prompt\": \"sneaker\"}' -o sneaker.png"})
final class ServeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--port", paramLabel = "N", defaultValue = "7860", description = "Port (0 = any free one). Default: ${DEFAULT-VALUE}.")
    int port;

    @Option(names = "--listen", paramLabel = "ADDRESS", defaultValue = "127.0.0.1",
            description = "Address to listen on; other than loopback needs --api-auth. Default: ${DEFAULT-VALUE}.")
    String listen;

    @Option(names = "--models", paramLabel = "DIR", description = "The models folder (default: the repository's models/).")
    Path models;

    @Option(names = "--data", paramLabel = "DIR", defaultValue = "stepwise-data",
            description = "Folder of the job database and the images (made when missing). Default: ${DEFAULT-VALUE}.")
    Path data;

    @Option(names = "--api-auth", paramLabel = "USER:PASSWORD", description = "Basic auth on every request (as A1111's flag).")
    String auth;

    @Option(names = "--queue", paramLabel = "N", defaultValue = "32",
            description = "Jobs that may wait at once; more are refused with 429. Default: ${DEFAULT-VALUE}.")
    int queue;

    @Option(names = "--limit", paramLabel = LimitFlag.LABEL,
            description = "Raise or lower a request limit, repeatable: steps=N (default 1000 steps a run), batch=N (64 images a job).")
    Map<String, String> limit = new LinkedHashMap<>();

    @Override
    public Integer call() throws IOException, InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        LimitFlag.parse(limit, "steps", "batch");   // the names and numbers checked as every command checks them
        Limits limits = ServerConfig.LIMITS;
        for (Map.Entry<String, String> e : limit.entrySet()) {
            limits = limits.with(e.getKey().strip().toLowerCase(Locale.ROOT), Long.parseLong(e.getValue().strip().replace("_", "")));
        }
        Path home = models != null ? models : ModelFolders.home();
        ServerConfig config;
        try {
            config = new ServerConfig(listen, port, home, data.toAbsolutePath(), auth, limits, queue, ServerConfig.MAX_BODY);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        StepwiseServer server = StepwiseServer.start(config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "stepwise-serve-stop"));
        out.println("stepwise serve: " + server.url() + " (models: " + home + ", data: " + config.data()
                + (auth != null ? "; basic auth required" : "") + "); API at " + server.url() + "openapi.json; Ctrl-C stops");
        out.flush();
        stopped.await();
        return 0;
    }
}

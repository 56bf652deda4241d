package dev.stepwise.server;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A client of the ComfyUI websocket {@code /ws}, as ComfyUI's frontend is one: every text and binary message kept. */
final class ComfySocket implements AutoCloseable {
    final List<String> texts = new CopyOnWriteArrayList<>();
    final List<byte[]> binaries = new CopyOnWriteArrayList<>();
    private final WebSocket ws;

    ComfySocket(int port, String clientId) throws Exception {
        ws = HttpClient.newHttpClient().newWebSocketBuilder()
                .buildAsync(URI.create("ws://127.0.0.1:" + port + "/ws?clientId=" + clientId), new WebSocket.Listener() {
                    final StringBuilder text = new StringBuilder();
                    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

                    @Override
                    public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                        text.append(data);
                        if (last) {
                            texts.add(text.toString());
                            text.setLength(0);
                        }
                        w.request(1);
                        return null;
                    }

                    @Override
                    public CompletionStage<?> onBinary(WebSocket w, ByteBuffer data, boolean last) {
                        byte[] b = new byte[data.remaining()];
                        data.get(b);
                        bytes.writeBytes(b);
                        if (last) {
                            binaries.add(bytes.toByteArray());
                            bytes.reset();
                        }
                        w.request(1);
                        return null;
                    }
                }).get(10, TimeUnit.SECONDS);
    }

    /** Waits up to 10 s for a text message that {@code test} accepts; whether one came. */
    boolean await(Predicate<String> test) throws InterruptedException {
        long end = System.nanoTime() + 10_000_000_000L;
        while (texts.stream().noneMatch(test) && System.nanoTime() < end) {
            Thread.sleep(5);
        }
        return texts.stream().anyMatch(test);
    }

    @Override
    public void close() {
        ws.abort();
    }
}

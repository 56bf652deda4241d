package dev.stepwise.server;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The clients of one event stream (a run's server-sent events, the ComfyUI websocket), sent to from the queue's
 * threads. A client joins with its first message, the state now: the client's lock is held from its registration
 * until that message is out, and every later message takes the same lock, so no event overtakes the state (a client
 * that connects late misses nothing it needs, and reads nothing before the state it applies to).
 *
 * @param <C> the client (an {@code SseClient}, a {@code WsContext})
 */
final class Subscribers<C> {
    private final Set<C> clients = ConcurrentHashMap.newKeySet();

    /** Registers {@code client} and sends it {@code first} before any message of {@link #send} reaches it. */
    void join(C client, Consumer<C> first) {
        synchronized (client) {
            clients.add(client);
            first.accept(client);
        }
    }

    void leave(C client) {
        clients.remove(client);
    }

    boolean isEmpty() {
        return clients.isEmpty();
    }

    /** Sends a message to every client, one at a time each; a client whose send fails (it went) is dropped. */
    void send(Consumer<C> message) {
        for (C c : clients) {
            synchronized (c) {
                try {
                    message.accept(c);
                } catch (RuntimeException e) {
                    clients.remove(c);
                }
            }
        }
    }

    /** Drops every client, each handed to {@code close} (the stream ends). */
    void closeAll(Consumer<C> close) {
        for (C c : clients) {
            clients.remove(c);
            synchronized (c) {
                close.accept(c);
            }
        }
    }
}

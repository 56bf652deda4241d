package dev.stepwise.core.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Test fixtures made by tools/fixtures/make_torch_noise.py with real PyTorch / NumPy, read from the
 * test classpath (src/test/resources/fixtures).
 */
public final class NpyFixtures {
    private NpyFixtures() {
    }

    public static InputStream open(String name) {
        InputStream in = NpyFixtures.class.getResourceAsStream("/fixtures/" + name);
        if (in == null) {
            throw new IllegalStateException("missing fixture " + name + "; run tools/fixtures/make_torch_noise.py");
        }
        return in;
    }

    public static byte[] bytes(String name) {
        try (InputStream in = open(name)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A float32 fixture's values. */
    public static float[] floats(String name) {
        try (InputStream in = open(name)) {
            return Npy.read(in, name).data();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A little-endian float64 .npy fixture's values at full precision (Npy converts to float32), parsed
     * here from the format's layout: magic, version 1.0, header length (u16 LE), header, data.
     */
    public static double[] doubles(String name) {
        byte[] b = bytes(name);
        ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        if (b[6] != 1) {
            throw new IllegalStateException(name + ": expected .npy version 1.0");
        }
        int headerLen = Short.toUnsignedInt(buf.getShort(8));
        String header = new String(b, 10, headerLen, java.nio.charset.StandardCharsets.US_ASCII);
        if (!header.contains("'<f8'")) {
            throw new IllegalStateException(name + ": expected <f8, header " + header);
        }
        buf.position(10 + headerLen);
        double[] out = new double[buf.remaining() / 8];
        for (int i = 0; i < out.length; i++) {
            out[i] = buf.getDouble();
        }
        return out;
    }
}

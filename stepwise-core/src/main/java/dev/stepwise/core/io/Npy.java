package dev.stepwise.core.io;

import dev.stepwise.core.tensor.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * NumPy's .npy format (numpy.lib.format): version 1.0, little-endian float32 ({@code <f4}) in C order
 * when writing; float32 or float64 of either byte order, versions 1.0 to 3.0, when reading.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([<>|=]?)([a-zA-Z])(\\d+)'");
    private static final Pattern ORDER = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private Npy() {
    }

    /** Encodes a tensor as .npy bytes. */
    public static byte[] encode(Tensor t) {
        StringBuilder shape = new StringBuilder("(");
        for (int i = 0; i < t.rank(); i++) {
            shape.append(t.dim(i)).append(t.rank() == 1 ? "," : (i + 1 < t.rank() ? ", " : ""));
        }
        shape.append(')');
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
        int unpadded = MAGIC.length + 2 + 2 + dict.length() + 1;
        int pad = (64 - unpadded % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        ByteBuffer b = ByteBuffer.allocate(MAGIC.length + 4 + header.length() + 4 * t.size()).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) header.length());
        b.put(header.getBytes(StandardCharsets.US_ASCII));
        for (float v : t.data()) {
            b.putFloat(v);
        }
        return b.array();
    }

    /** Writes atomically: a temporary file in the same folder, renamed into place when complete. */
    public static void write(Tensor t, Path path) throws IOException {
        AtomicFiles.write(path, encode(t));
    }

    public static Tensor read(Path path) throws IOException {
        try (InputStream in = Files.newInputStream(path)) {
            return read(in, path.toString());
        }
    }

    /**
     * Reads a float32 or float64 .npy of either byte order, format version 1, 2 or 3 (values converted
     * to float32). Anything else (another dtype, Fortran order, a scalar, an empty array, a header that
     * does not parse, or data shorter or longer than the shape) is an IOException naming the problem.
     */
    public static Tensor read(InputStream in, String name) throws IOException {
        Header h = header(in.readAllBytes(), name);
        if (!h.kind.equals("f") || (h.width != 4 && h.width != 8)) {
            throw new IOException(name + " holds dtype " + h.dtype() + "; only float32 and float64 are read");
        }
        ByteBuffer b = h.data;
        float[] data = new float[h.count()];
        for (int i = 0; i < data.length; i++) {
            data[i] = h.width == 4 ? b.getFloat() : (float) b.getDouble();
        }
        return Tensor.wrap(data, h.shape);
    }

    /** A uint8 array as stored: its shape and its bytes in C order (read them with {@code Byte.toUnsignedInt}). */
    public record UInt8(int[] shape, byte[] data) {
        public UInt8 {
            shape = shape.clone();
        }

        @Override
        public int[] shape() {
            return shape.clone();
        }
    }

    public static UInt8 readUInt8(Path path) throws IOException {
        try (InputStream in = Files.newInputStream(path)) {
            return readUInt8(in, path.toString());
        }
    }

    /**
     * Reads a uint8 .npy ({@code |u1}; images are stored so), format version 1, 2 or 3, with the same checks as
     * {@link #read(InputStream, String)}; any other dtype is an IOException naming it.
     */
    public static UInt8 readUInt8(InputStream in, String name) throws IOException {
        Header h = header(in.readAllBytes(), name);
        if (!h.kind.equals("u") || h.width != 1) {
            throw new IOException(name + " holds dtype " + h.dtype() + "; expected uint8 (|u1)");
        }
        byte[] data = new byte[h.count()];
        h.data.get(data);
        return new UInt8(h.shape, data);
    }

    /** A parsed header and the data after it, positioned at the first value in the file's byte order. */
    private record Header(String order, String kind, int width, int[] shape, ByteBuffer data) {
        String dtype() {
            return order + kind + width;
        }

        int count() {
            return data.remaining() / width;
        }
    }

    /**
     * Parses the header of any dtype and checks that the data matches the shape exactly (a scalar, an empty
     * array, Fortran order or an unreadable header is an IOException naming the problem).
     */
    private static Header header(byte[] all, String name) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        for (byte m : MAGIC) {
            if (b.remaining() == 0 || b.get() != m) {
                throw new IOException(name + " is not a .npy file (bad magic)");
            }
        }
        if (b.remaining() < 2) {
            throw new IOException(name + " is truncated inside its .npy header");
        }
        int major = b.get(), minor = b.get();
        if (major < 1 || major > 3) {
            throw new IOException(name + " is .npy format version " + major + "." + minor + "; versions 1 to 3 are read");
        }
        int lengthBytes = major == 1 ? 2 : 4;
        if (b.remaining() < lengthBytes) {
            throw new IOException(name + " is truncated inside its .npy header");
        }
        long headerLen = major == 1 ? Short.toUnsignedInt(b.getShort()) : Integer.toUnsignedLong(b.getInt());
        if (headerLen > b.remaining()) {
            throw new IOException(name + " is truncated: its header claims " + headerLen + " bytes but only "
                    + b.remaining() + " follow");
        }
        byte[] hb = new byte[(int) headerLen];
        b.get(hb);
        String header = new String(hb, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Matcher d = DESCR.matcher(header), o = ORDER.matcher(header), s = SHAPE.matcher(header);
        if (!d.find() || !o.find() || !s.find()) {
            throw new IOException(name + " has an unreadable .npy header: " + header.trim());
        }
        if (o.group(1).equals("True")) {
            throw new IOException(name + " is in Fortran order; save it in C order (numpy.ascontiguousarray)");
        }
        String kind = d.group(2);
        int width = Integer.parseInt(d.group(3));
        ByteOrder order = d.group(1).equals(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        List<Integer> dims = new ArrayList<>();
        for (String part : s.group(1).split(",")) {
            String t = part.trim();
            if (t.endsWith("L")) {
                t = t.substring(0, t.length() - 1); // Python 2 longs
            }
            if (!t.isEmpty()) {
                try {
                    dims.add(Integer.parseInt(t));
                } catch (NumberFormatException e) {
                    throw new IOException(name + " has an unreadable shape (" + s.group(1) + ")");
                }
            }
        }
        if (dims.isEmpty()) {
            throw new IOException(name + " holds a scalar; expected an array");
        }
        int[] shape = dims.stream().mapToInt(Integer::intValue).toArray();
        long count = 1;
        for (int v : shape) {
            if (v < 1) {
                throw new IOException(name + " has shape " + Arrays.toString(shape)
                        + " with a dimension < 1; an empty array cannot be read");
            }
            count *= v;
            if (count > Integer.MAX_VALUE - 8) {
                throw new IOException(name + " has shape " + Arrays.toString(shape) + ", too many values");
            }
        }
        if (width < 1 || count * width > Integer.MAX_VALUE - 8) {
            throw new IOException(name + " has dtype " + d.group(1) + kind + width + " and shape " + Arrays.toString(shape)
                    + ": too many bytes");
        }
        if (b.remaining() != count * width) {
            throw new IOException(name + " should hold " + count + " values of " + width + " bytes for shape "
                    + Arrays.toString(shape) + " but has " + b.remaining() + " bytes of data"
                    + (b.remaining() < count * width ? " (truncated)" : ""));
        }
        return new Header(d.group(1), kind, width, shape, b.slice().order(order));
    }
}

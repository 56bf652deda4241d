package dev.stepwise.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.tensor.Tensor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The .npy reader and writer against files written by numpy 1.24 (tools/fixtures/make_torch_noise.py). */
class NpyTest {

    static Tensor read(byte[] bytes) throws IOException {
        return Npy.read(new ByteArrayInputStream(bytes), "test.npy");
    }

    static Tensor fixture(String name) throws IOException {
        return Npy.read(NpyFixtures.open(name), name);
    }

    static String error(byte[] bytes) {
        return assertThrows(IOException.class, () -> read(bytes)).getMessage();
    }

    @Test
    void roundTripKeepsShapeAndEveryBit() throws IOException {
        float[] special = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE,
            Float.MAX_VALUE, 1.1754942E-38f, (float) Math.PI, -1e-20f, 123456.79f, 7};
        for (int[] shape : new int[][] {{12}, {3, 4}, {2, 3, 2}, {1, 1, 2, 6}}) {
            Tensor t = Tensor.wrap(special.clone(), shape);
            Tensor back = read(Npy.encode(t));
            assertArrayEquals(shape, back.shape());
            for (int i = 0; i < special.length; i++) {
                assertEquals(Float.floatToRawIntBits(special[i]), Float.floatToRawIntBits(back.data()[i]), "value " + i);
            }
        }
    }

    /** Our writer produces the very bytes numpy's np.save writes for the same float32 array. */
    @Test
    void encodingIsByteIdenticalToNumpy() {
        float[] v = new float[6];
        for (int i = 0; i < 6; i++) {
            v[i] = i / 7f;
        }
        byte[] ours = Npy.encode(Tensor.wrap(v, 2, 3));
        assertArrayEquals(NpyFixtures.bytes("npy_f4_2x3.npy"), ours);
        // The header (magic, version, length, dict) is padded to a multiple of 64 bytes and ends in '\n'.
        int headerLen = (ours[8] & 0xff) | (ours[9] & 0xff) << 8;
        assertEquals(0, (10 + headerLen) % 64);
        assertEquals('\n', ours[10 + headerLen - 1]);
        String header = new String(Npy.encode(Tensor.zeros(5)), 10, 60, StandardCharsets.US_ASCII);
        assertTrue(header.startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }"), header);
    }

    @Test
    void readsWhatNumpyWrote() throws IOException {
        Tensor a = fixture("npy_f4_2x3.npy");
        assertArrayEquals(new int[] {2, 3}, a.shape());
        for (int i = 0; i < 6; i++) {
            assertEquals(i / 7f, a.data()[i], 0f);
        }
        Tensor le = fixture("npy_f8_le_3.npy");
        assertArrayEquals(new int[] {3}, le.shape());
        assertArrayEquals(new float[] {(float) (1.0 / 3), -2.5f, 0f}, le.data(), 0f);
        Tensor be = fixture("npy_f8_be_2x2.npy");
        assertArrayEquals(new int[] {2, 2}, be.shape());
        assertArrayEquals(new float[] {1.5f, -0.25f, 3.0e10f, (float) Math.PI}, be.data(), 0f);
        Tensor be4 = fixture("npy_f4_be_4.npy");
        assertArrayEquals(new float[] {0.1f, 0.2f, -7f, 65504f}, be4.data(), 0f);
        Tensor v2 = fixture("npy_f4_v2_2x3.npy");
        assertArrayEquals(a.shape(), v2.shape());
        assertArrayEquals(a.data(), v2.data(), 0f);
    }

    @Test
    void unsupportedContentsGiveClearMessages() {
        assertEquals("npy_i4_3.npy holds dtype <i4; only float32 and float64 are read",
                assertThrows(IOException.class, () -> fixture("npy_i4_3.npy")).getMessage());
        assertEquals("npy_f2_3.npy holds dtype <f2; only float32 and float64 are read",
                assertThrows(IOException.class, () -> fixture("npy_f2_3.npy")).getMessage());
        assertEquals("npy_f4_scalar.npy holds a scalar; expected an array",
                assertThrows(IOException.class, () -> fixture("npy_f4_scalar.npy")).getMessage());
        assertEquals("npy_f4_fortran_2x3.npy is in Fortran order; save it in C order (numpy.ascontiguousarray)",
                assertThrows(IOException.class, () -> fixture("npy_f4_fortran_2x3.npy")).getMessage());
        assertEquals("npy_f4_empty.npy has shape [0, 3] with a dimension < 1; an empty array cannot be read",
                assertThrows(IOException.class, () -> fixture("npy_f4_empty.npy")).getMessage());
    }

    @Test
    void damagedFilesGiveClearMessages() {
        byte[] good = NpyFixtures.bytes("npy_f4_2x3.npy");
        assertEquals("test.npy should hold 6 values of 4 bytes for shape [2, 3] but has 20 bytes of data (truncated)",
                error(Arrays.copyOf(good, good.length - 4)));
        assertEquals("test.npy should hold 6 values of 4 bytes for shape [2, 3] but has 28 bytes of data",
                error(Arrays.copyOf(good, good.length + 4)));
        assertEquals("test.npy is truncated: its header claims 118 bytes but only 20 follow", error(Arrays.copyOf(good, 30)));
        assertEquals("test.npy is truncated inside its .npy header", error(Arrays.copyOf(good, 9)));
        assertEquals("test.npy is not a .npy file (bad magic)", error("PK\\u0003\\u0004 not numpy".getBytes(StandardCharsets.US_ASCII)));
        assertEquals("test.npy is not a .npy file (bad magic)", error(new byte[0]));
        byte[] v4 = good.clone();
        v4[6] = 4;
        assertEquals("test.npy is .npy format version 4.0; versions 1 to 3 are read", error(v4));
        byte[] badShape = new String(good, StandardCharsets.ISO_8859_1).replace("(2, 3)", "(2, x)")
                .getBytes(StandardCharsets.ISO_8859_1);
        assertEquals("test.npy has an unreadable shape (2, x)", error(badShape));
        byte[] noDescr = new String(good, StandardCharsets.ISO_8859_1).replace("'descr'", "'dtype'")
                .getBytes(StandardCharsets.ISO_8859_1);
        assertTrue(error(noDescr).startsWith("test.npy has an unreadable .npy header: {'dtype': '<f4'"));
    }

    /** A .npy file as numpy 1.24's np.save writes it: version 1.0, the header padded to 64 bytes. */
    static byte[] npy(String descr, String shape, byte[] data) {
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
        int pad = (64 - (10 + dict.length() + 1) % 64) % 64;
        byte[] header = (dict + " ".repeat(pad) + "\n").getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[10 + header.length + data.length];
        System.arraycopy(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) header.length, 0}, 0, out, 0, 10);
        System.arraycopy(header, 0, out, 10, header.length);
        System.arraycopy(data, 0, out, 10 + header.length, data.length);
        return out;
    }

    @Test
    void readsUInt8ArraysAndOnlyThose() throws IOException {
        byte[] data = {0, 1, 127, (byte) 128, (byte) 254, (byte) 255};
        Npy.UInt8 a = Npy.readUInt8(new ByteArrayInputStream(npy("|u1", "(2, 3)", data)), "images.npy");
        assertArrayEquals(new int[] {2, 3}, a.shape());
        assertArrayEquals(data, a.data());
        assertEquals(255, Byte.toUnsignedInt(a.data()[5]));
        assertEquals("images.npy holds dtype <f4; expected uint8 (|u1)", assertThrows(IOException.class,
                () -> Npy.readUInt8(new ByteArrayInputStream(NpyFixtures.bytes("npy_f4_2x3.npy")), "images.npy")).getMessage());
        assertEquals("test.npy holds dtype |u1; only float32 and float64 are read", error(npy("|u1", "(2, 3)", data)));
        assertEquals("images.npy should hold 6 values of 1 bytes for shape [2, 3] but has 5 bytes of data (truncated)",
                assertThrows(IOException.class, () -> Npy.readUInt8(new ByteArrayInputStream(
                        npy("|u1", "(2, 3)", Arrays.copyOf(data, 5))), "images.npy")).getMessage());
    }

    @Test
    void writeIsAtomicAndReadable(@TempDir Path dir) throws IOException {
        Tensor t = Tensor.wrap(new float[] {1, 2, 3, 4, 5, 6}, 3, 2);
        Path p = dir.resolve("x.npy");
        Npy.write(t, p);
        Npy.write(t, p); // replaces an existing file
        Tensor back = Npy.read(p);
        assertArrayEquals(t.shape(), back.shape());
        assertArrayEquals(t.data(), back.data(), 0f);
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file left behind");
        }
    }
}

package dev.stepwise.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/** The project version, filtered into a resource at build time. */
public final class Version implements IVersionProvider {

    private static final String VERSION = load();

    /** The version of this build, e.g. "0.1.0-SNAPSHOT". */
    public static String get() {
        return VERSION;
    }

    @Override
    public String[] getVersion() {
        return new String[] {"stepwise " + VERSION, "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")"};
    }

    private static String load() {
        try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

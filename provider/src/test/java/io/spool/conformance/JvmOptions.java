package io.spool.conformance;

import java.util.ArrayList;
import java.util.List;

/**
 * Options for the JVMs the tests start, by the running JDK's release.
 * JNR-FFI's native library (jffi) calls System.load and sun.misc.Unsafe:
 * JDK 22+ warns about the first unless native access is enabled, JDK 24+
 * warns about the second unless its memory access is allowed. The
 * warnings go to stderr only, but they bury the tests' own output.
 */
public final class JvmOptions {
    private JvmOptions() {
    }

    /** The options that silence the JDK's warnings about JNR, for this JDK. */
    public static List<String> forJnr() {
        return forJnr(Runtime.version().feature());
    }

    /**
     * The same for the JDK whose bin/java is javaBin, which may be another
     * than this JVM's: a JDK 17 refuses the options of 22 and later.
     */
    public static List<String> forJnr(String javaBin) {
        return forJnr(feature(javaBin));
    }

    /** The feature release of the JDK of javaBin, from its release file; this JVM's if unreadable. */
    static int feature(String javaBin) {
        java.nio.file.Path home = java.nio.file.Path.of(javaBin).toAbsolutePath().getParent().getParent();
        try {
            for (String line : java.nio.file.Files.readAllLines(home.resolve("release"))) {
                if (line.startsWith("JAVA_VERSION=")) {
                    String v = line.substring("JAVA_VERSION=".length()).replace("\"", "");
                    return Integer.parseInt(v.split("[.+-]")[0]);
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // no release file: assume this JVM's
        }
        return Runtime.version().feature();
    }

    private static List<String> forJnr(int feature) {
        List<String> l = new ArrayList<>();
        if (feature >= 22) {
            l.add("--enable-native-access=ALL-UNNAMED");
        }
        if (feature >= 24) {
            // accepted since JDK 23; warnings by default since JDK 24 (JEP 498)
            l.add("--sun-misc-unsafe-memory-access=allow");
        }
        return l;
    }
}

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
        int feature = Runtime.version().feature();
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

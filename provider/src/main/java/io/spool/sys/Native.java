package io.spool.sys;

import java.util.function.Supplier;

/**
 * The loaded libc and its errno.
 *
 * <p><b>Two bindings.</b> JNR-FFI is the first choice ({@code
 * spool.ffi=auto}): tested longest, and what JDK 17 to 21 have. Where it
 * cannot be loaded (its jars missing from the class path, or jffi's native
 * stub not loadable) on JDK 22 or later, libc is bound through the FFM API
 * instead ({@link FfmLibC}), and one line at WARNING says why. {@code
 * spool.ffi=jnr} or {@code ffm} takes only that binding. Nothing outside
 * this class, {@link LibC}, {@link Memory} and {@link FfmLibC} names JNR
 * or FFM, so every other class loads without the JNR jars; the JNR parts
 * here are in nested classes, loaded only when JNR is the binding.
 *
 * <p>Where neither binding can be had, this class's initialisation fails
 * with an {@link UnsatisfiedLinkError} that says why; {@link Binding#why()}
 * says the same without failing.
 */
public final class Native {
    public static final LibC C = Binding.bound();
    /** True when {@link #C} is the FFM binding: a constant, so the JIT folds the tests of it. */
    static final boolean FFM = "ffm".equals(Binding.NAME);

    private Native() {
    }

    /**
     * Runs a native library's loading with the caller's interrupt status
     * cleared, and sets it again after. jffi copies its stub through an
     * interruptible FileChannel: on a thread whose interrupt status is set,
     * the copy fails with ClosedByInterruptException, the class
     * initialisation fails, and every later call in the JVM would throw
     * NoClassDefFoundError. The first SPOOL call may come from any thread.
     */
    static <T> T uninterrupted(Supplier<T> load) {
        return Binding.uninterrupted(load);
    }

    /** errno of the last call made through {@link #C} on this thread. */
    public static int errno() {
        return FFM ? FfmLibC.errno() : JnrErrno.RUNTIME.getLastError();
    }

    /** JNR's errno: loaded only when JNR is the binding. */
    private static final class JnrErrno {
        static final jnr.ffi.Runtime RUNTIME = jnr.ffi.Runtime.getRuntime(C);

        private JnrErrno() {
        }
    }

    /**
     * Which binding this JVM has, chosen once. Its own class, so that the
     * provider can ask whether libc can be bound without failing.
     */
    public static final class Binding {
        private static final LibC LIBC;
        private static final String NAME;
        private static final String WHY;

        static {
            LibC libc = null;
            String name = null;
            String why;
            String mode = Config.get().ffi;
            int feature = Runtime.version().feature();
            String jnrWhy = null;
            if (!mode.equals("ffm")) {
                jnrWhy = jnrMissing();
                if (jnrWhy == null) {
                    try {
                        libc = uninterrupted(() -> {
                            LibC l = jnr.ffi.LibraryLoader.create(LibC.class).load("c");
                            // where jffi's stub cannot load, load() still returns a library
                            // whose every call fails: this is the first use that tells
                            jnr.ffi.Runtime.getRuntime(l);
                            return l;
                        });
                        name = "jnr";
                    } catch (LinkageError | RuntimeException e) {
                        jnrWhy = "JNR cannot load its native code: " + e;
                    }
                }
            }
            why = jnrWhy;
            if (libc == null && !mode.equals("jnr")) {
                String asked = mode.equals("ffm") ? "spool.ffi=ffm" : jnrWhy;
                if (feature < 22) {
                    why = asked + ", and JDK " + feature + " has no FFM API (JDK 22 and later)";
                } else {
                    try {
                        libc = uninterrupted(() -> FfmLibC.INSTANCE);
                        name = "ffm";
                        if (!mode.equals("ffm")) {
                            Counters.FALLBACKS.increment();
                            System.getLogger("io.spool").log(System.Logger.Level.WARNING, "SPOOL: " + jnrWhy
                                    + "; libc is bound through the FFM API (java.lang.foreign) instead");
                        }
                    } catch (LinkageError | RuntimeException e) {
                        Throwable c = e instanceof ExceptionInInitializerError && e.getCause() != null
                                ? e.getCause() : e;
                        why = asked + ", and the FFM API cannot bind libc: " + c;
                    }
                }
            }
            LIBC = libc;
            NAME = name;
            WHY = libc == null ? why : null;
        }

        private Binding() {
        }

        /** See {@link Native#uninterrupted}: here, so that choosing the binding needs no Native. */
        static <T> T uninterrupted(Supplier<T> load) {
            boolean interrupted = Thread.interrupted();
            try {
                return load.get();
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        /** Why the JNR jars are not all on the class path, or null. */
        private static String jnrMissing() {
            ClassLoader l = Native.class.getClassLoader();
            for (String c : new String[] {"jnr.ffi.LibraryLoader", "com.kenai.jffi.MemoryIO"}) {
                try {
                    Class.forName(c, false, l);
                } catch (ClassNotFoundException | LinkageError e) {
                    return "the class path lacks " + c + " (the JNR jars)";
                }
            }
            return null;
        }

        static LibC bound() {
            if (LIBC == null) {
                throw new UnsatisfiedLinkError("SPOOL cannot bind libc: " + WHY);
            }
            return LIBC;
        }

        /** Why libc cannot be bound in this JVM, or null when it is. */
        public static String why() {
            return WHY;
        }

        /** The binding in use: "jnr" or "ffm"; null when there is none. */
        public static String name() {
            return NAME;
        }
    }
}

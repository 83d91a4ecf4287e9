package io.spool.sys;

import static io.spool.sys.Native.C;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/** Which kernel task a Java thread is: virtual or not, and its thread id. */
public final class Threads {
    /** Thread.isVirtual() on JDK 21 and later; null on 17. */
    private static final MethodHandle IS_VIRTUAL = isVirtualHandle();
    /** gettid's system call number: 186 on x86-64, 178 on arm64 (the generic table). */
    private static final int SYS_GETTID = "aarch64".equals(Privileged.property("os.arch", "")) ? 178 : 186;

    private Threads() {
    }

    private static MethodHandle isVirtualHandle() {
        try {
            return MethodHandles.publicLookup().findVirtual(Thread.class, "isVirtual",
                    MethodType.methodType(boolean.class));
        } catch (NoSuchMethodException | IllegalAccessException e) {
            return null; // Java 17: every thread is a platform thread
        }
    }

    /** Whether t is a virtual thread, whose kernel task (its carrier) may change between calls. */
    public static boolean isVirtual(Thread t) {
        if (IS_VIRTUAL == null) {
            return false;
        }
        try {
            return (boolean) IS_VIRTUAL.invokeExact(t);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** gettid(2): the calling kernel task (for a virtual thread, its carrier's). */
    public static int gettid() {
        Counters.call();
        return (int) C.syscall(SYS_GETTID, 0, 0, 0, 0, 0, 0);
    }
}

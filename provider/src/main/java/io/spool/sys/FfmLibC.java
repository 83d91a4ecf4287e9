package io.spool.sys;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Array;
import java.lang.reflect.InvocationTargetException;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.Charset;

/**
 * {@link LibC} on the Foreign Function &amp; Memory API ({@code
 * java.lang.foreign}, final since JDK 22), for a JVM without the JNR jars.
 * {@link Native} chooses it only when JNR cannot be loaded (or {@code
 * spool.ffi=ffm} asks for it).
 *
 * <p>The provider is compiled for Java 17, which has no {@code
 * java.lang.foreign}: this class reaches it by reflection, once, in its
 * static initialiser, and keeps only {@link MethodHandle}s. Each downcall
 * handle is adapted with {@code asType} so that its FFM types disappear:
 * addresses are {@code long} (as in {@link LibC}: on the 64-bit Linux ABIs a
 * pointer travels as a 64-bit integer), and the errno capture segment that
 * {@code Linker.Option.captureCallState("errno")} adds as the first argument
 * travels as {@code Object}. Calls are {@code invokeExact} on {@code static
 * final} handles, which the JIT inlines like a direct call.
 *
 * <p><b>errno.</b> Each thread (virtual threads too) has its own capture
 * segment, over a small direct buffer, in a {@link ThreadLocal}; every
 * call but {@code strerror} writes errno there, and {@link #errno()} reads
 * it back at {@code captureStateLayout()}'s errno offset. As JNR's
 * {@code getLastError}, it is the errno of this thread's last call.
 *
 * <p>Class initialisation fails (with the reason) where the API is missing:
 * before JDK 22.
 */
final class FfmLibC implements LibC {
    private static final Class<?> SEGMENT = type("java.lang.foreign.MemorySegment");
    private static final Class<?> LAYOUT = type("java.lang.foreign.MemoryLayout");
    private static final Class<?> LINKER_TYPE = type("java.lang.foreign.Linker");
    private static final Class<?> OPTION = type("java.lang.foreign.Linker$Option");
    private static final Class<?> DESCRIPTOR = type("java.lang.foreign.FunctionDescriptor");
    private static final Class<?> LOOKUP_TYPE = type("java.lang.foreign.SymbolLookup");
    private static final Class<?> PATH_ELEMENT = type("java.lang.foreign.MemoryLayout$PathElement");
    private static final Object LINKER = call(LINKER_TYPE, null, "nativeLinker", types());
    private static final Object LOOKUP = call(LINKER_TYPE, LINKER, "defaultLookup", types());
    private static final Object INT = constant("java.lang.foreign.ValueLayout", "JAVA_INT");
    private static final Object LONG = constant("java.lang.foreign.ValueLayout", "JAVA_LONG");
    private static final Object CAPTURE_ERRNO = call(OPTION, null, "captureCallState", types(String[].class),
            (Object) new String[] {"errno"});
    private static final long CAPTURE_SIZE;
    private static final int ERRNO_OFFSET;

    static {
        Object layout = call(OPTION, null, "captureStateLayout", types());
        CAPTURE_SIZE = (long) call(LAYOUT, layout, "byteSize", types());
        Object path = Array.newInstance(PATH_ELEMENT, 1);
        Array.set(path, 0, call(PATH_ELEMENT, null, "groupElement", types(String.class), "errno"));
        ERRNO_OFFSET = (int) (long) call(LAYOUT, layout, "byteOffset", types(PATH_ELEMENT.arrayType()), path);
    }

    /** (ByteBuffer)long: the address of a direct buffer's position. */
    private static final MethodHandle BUFFER_ADDRESS = MethodHandles.filterReturnValue(
            handle(SEGMENT, "ofBuffer", MethodType.methodType(SEGMENT, Buffer.class), true),
            handle(SEGMENT, "address", MethodType.methodType(long.class), false))
            .asType(MethodType.methodType(long.class, ByteBuffer.class));
    /** (ByteBuffer)Object: a capture segment over a direct buffer. */
    private static final MethodHandle SEGMENT_OF = handle(SEGMENT, "ofBuffer",
            MethodType.methodType(SEGMENT, Buffer.class), true)
            .asType(MethodType.methodType(Object.class, ByteBuffer.class));

    private static final ThreadLocal<Capture> ERRNO = ThreadLocal.withInitial(Capture::new);

    private static final int NONE = -1;
    private static final MethodHandle SOCKET = downcall("socket", NONE, int.class, int.class, int.class, int.class);
    private static final MethodHandle BIND = downcall("bind", NONE, int.class, int.class, long.class, int.class);
    private static final MethodHandle LISTEN = downcall("listen", NONE, int.class, int.class, int.class);
    private static final MethodHandle ACCEPT4 = downcall("accept4", NONE, int.class,
            int.class, long.class, long.class, int.class);
    private static final MethodHandle CONNECT = downcall("connect", NONE, int.class, int.class, long.class, int.class);
    private static final MethodHandle GETSOCKNAME = downcall("getsockname", NONE, int.class,
            int.class, long.class, long.class);
    private static final MethodHandle GETPEERNAME = downcall("getpeername", NONE, int.class,
            int.class, long.class, long.class);
    private static final MethodHandle SETSOCKOPT = downcall("setsockopt", NONE, int.class,
            int.class, int.class, int.class, long.class, int.class);
    private static final MethodHandle GETSOCKOPT = downcall("getsockopt", NONE, int.class,
            int.class, int.class, int.class, long.class, long.class);
    private static final MethodHandle SHUTDOWN = downcall("shutdown", NONE, int.class, int.class, int.class);
    private static final MethodHandle CLOSE = downcall("close", NONE, int.class, int.class);
    private static final MethodHandle READ = downcall("read", NONE, long.class, int.class, long.class, long.class);
    private static final MethodHandle WRITE = downcall("write", NONE, long.class, int.class, long.class, long.class);
    private static final MethodHandle READV = downcall("readv", NONE, long.class, int.class, long.class, int.class);
    private static final MethodHandle WRITEV = downcall("writev", NONE, long.class, int.class, long.class, int.class);
    private static final MethodHandle RECVFROM = downcall("recvfrom", NONE, long.class,
            int.class, long.class, long.class, int.class, long.class, long.class);
    private static final MethodHandle SENDTO = downcall("sendto", NONE, long.class,
            int.class, long.class, long.class, int.class, long.class, int.class);
    private static final MethodHandle SENDMSG = downcall("sendmsg", NONE, long.class, int.class, long.class, int.class);
    private static final MethodHandle RECVMSG = downcall("recvmsg", NONE, long.class, int.class, long.class, int.class);
    private static final MethodHandle PIPE2 = downcall("pipe2", NONE, int.class, long.class, int.class);
    // fcntl and ioctl are variadic in C: the third argument is the first variadic one
    private static final MethodHandle FCNTL = downcall("fcntl", 2, int.class, int.class, int.class, int.class);
    private static final MethodHandle IOCTL = downcall("ioctl", 2, int.class, int.class, long.class, long.class);
    private static final MethodHandle DUP = downcall("dup", NONE, int.class, int.class);
    private static final MethodHandle DUP2 = downcall("dup2", NONE, int.class, int.class, int.class);
    private static final MethodHandle POLL = downcall("poll", NONE, int.class, long.class, long.class, int.class);
    private static final MethodHandle EPOLL_CREATE1 = downcall("epoll_create1", NONE, int.class, int.class);
    private static final MethodHandle EPOLL_CTL = downcall("epoll_ctl", NONE, int.class,
            int.class, int.class, int.class, long.class);
    private static final MethodHandle EPOLL_WAIT = downcall("epoll_wait", NONE, int.class,
            int.class, long.class, int.class, int.class);
    private static final MethodHandle EVENTFD = downcall("eventfd", NONE, int.class, int.class, int.class);
    // open(path, flags, ...): called with no mode, so no variadic argument
    private static final MethodHandle OPEN = downcall("open", NONE, int.class, long.class, int.class);
    // syscall(number, ...): every argument after the number is variadic
    private static final MethodHandle SYSCALL = downcall("syscall", 1, long.class,
            long.class, long.class, long.class, long.class, long.class, long.class, long.class);
    private static final MethodHandle MUNMAP = downcall("munmap", NONE, int.class, long.class, long.class);
    /** (long, long)ByteBuffer: a buffer over size bytes of native memory at an address. */
    private static final MethodHandle WRAP = MethodHandles.filterReturnValue(
            MethodHandles.filterArguments(
                    handle(SEGMENT, "reinterpret", MethodType.methodType(SEGMENT, long.class), false),
                    0, handle(SEGMENT, "ofAddress", MethodType.methodType(SEGMENT, long.class), true)),
            handle(SEGMENT, "asByteBuffer", MethodType.methodType(ByteBuffer.class), false))
            .asType(MethodType.methodType(ByteBuffer.class, long.class, long.class));
    /** strerror: no errno capture, as JNR's @IgnoreError; returns the text's address. */
    private static final MethodHandle STRERROR = linked("strerror", NONE, false, long.class, int.class);
    /** (long)String: the NUL-terminated text at an address. */
    private static final MethodHandle C_STRING = MethodHandles.filterReturnValue(
            MethodHandles.filterReturnValue(
                    handle(SEGMENT, "ofAddress", MethodType.methodType(SEGMENT, long.class), true),
                    MethodHandles.insertArguments(handle(SEGMENT, "reinterpret",
                            MethodType.methodType(SEGMENT, long.class), false), 1, Long.MAX_VALUE)),
            MethodHandles.insertArguments(handle(SEGMENT, "getString",
                    MethodType.methodType(String.class, long.class), false), 1, 0L));

    static final FfmLibC INSTANCE = new FfmLibC();

    private FfmLibC() {
    }

    /** A thread's capture segment and the buffer under it. */
    private static final class Capture {
        final ByteBuffer buffer = ByteBuffer.allocateDirect((int) CAPTURE_SIZE).order(ByteOrder.nativeOrder());
        final Object segment;

        Capture() {
            try {
                segment = (Object) SEGMENT_OF.invokeExact(buffer);
            } catch (Throwable e) {
                throw unchecked(e);
            }
        }
    }

    private static Object capture() {
        return ERRNO.get().segment;
    }

    /** errno as the last call on this thread left it. */
    static int errno() {
        return ERRNO.get().buffer.getInt(ERRNO_OFFSET);
    }

    /** The address of a direct buffer's first byte, whatever its position. */
    static long address(ByteBuffer direct) {
        try {
            // a slice at index 0: the address of the segment over a buffer is that of its position
            return (long) BUFFER_ADDRESS.invokeExact(direct.slice(0, 0));
        } catch (Throwable e) {
            throw unchecked(e);
        }
    }

    // --- setup, by reflection -------------------------------------------------

    private static Class<?> type(String name) {
        try {
            return Class.forName(name);
        } catch (ClassNotFoundException e) {
            throw new UnsupportedOperationException("no " + name + " (the FFM API is final in JDK 22)", e);
        }
    }

    private static Object constant(String type, String field) {
        try {
            return type(type).getField(field).get(null);
        } catch (ReflectiveOperationException e) {
            throw new UnsupportedOperationException(type + "." + field, e);
        }
    }

    private static Class<?>[] types(Class<?>... types) {
        return types;
    }

    /** Calls a public method of an exported type (static if {@code target} is null). */
    private static Object call(Class<?> c, Object target, String name, Class<?>[] types, Object... args) {
        try {
            return c.getMethod(name, types).invoke(target, args);
        } catch (InvocationTargetException e) {
            throw unchecked(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new UnsupportedOperationException(c.getName() + "." + name, e);
        }
    }

    /**
     * A method handle on a public method. The full-privilege lookup: some
     * (reinterpret) are caller-sensitive, and publicLookup cannot reach those.
     */
    private static MethodHandle handle(Class<?> c, String name, MethodType type, boolean isStatic) {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            return isStatic ? l.findStatic(c, name, type) : l.findVirtual(c, name, type);
        } catch (ReflectiveOperationException e) {
            throw new UnsupportedOperationException(c.getName() + "." + name, e);
        }
    }

    private static MethodHandle downcall(String name, int firstVariadic, Class<?> ret, Class<?>... params) {
        return linked(name, firstVariadic, true, ret, params);
    }

    /**
     * A downcall handle for a libc function of int and long (address)
     * arguments; with {@code errno}, its first parameter is the capture
     * segment, as {@code Object}.
     */
    private static MethodHandle linked(String name, int firstVariadic, boolean errno, Class<?> ret,
            Class<?>... params) {
        Object[] layouts = new Object[params.length];
        for (int i = 0; i < params.length; i++) {
            layouts[i] = params[i] == int.class ? INT : LONG;
        }
        Object array = Array.newInstance(LAYOUT, params.length);
        System.arraycopy(layouts, 0, array, 0, params.length);
        Object descriptor = call(DESCRIPTOR, null, "of", types(LAYOUT, LAYOUT.arrayType()),
                ret == int.class ? INT : LONG, array);
        java.util.List<Object> options = new java.util.ArrayList<>();
        if (errno) {
            options.add(CAPTURE_ERRNO);
        }
        if (firstVariadic != NONE) {
            options.add(call(OPTION, null, "firstVariadicArg", types(int.class), firstVariadic));
        }
        Object optionArray = Array.newInstance(OPTION, options.size());
        for (int i = 0; i < options.size(); i++) {
            Array.set(optionArray, i, options.get(i));
        }
        java.util.Optional<?> symbol = (java.util.Optional<?>) call(LOOKUP_TYPE, LOOKUP, "find",
                types(String.class), name);
        Object address = symbol.orElseThrow(() -> new UnsupportedOperationException("no " + name + " in libc"));
        MethodHandle h = (MethodHandle) call(LINKER_TYPE, LINKER, "downcallHandle",
                types(SEGMENT, DESCRIPTOR, OPTION.arrayType()), address, descriptor, optionArray);
        return errno ? h.asType(h.type().changeParameterType(0, Object.class)) : h;
    }

    static RuntimeException unchecked(Throwable t) {
        if (t instanceof RuntimeException) {
            return (RuntimeException) t;
        }
        if (t instanceof Error) {
            throw (Error) t;
        }
        return new IllegalStateException(t);
    }

    // --- LibC -----------------------------------------------------------------

    @Override
    public int socket(int domain, int type, int protocol) {
        try {
            return (int) SOCKET.invokeExact(capture(), domain, type, protocol);
        } catch (Throwable e) {
            throw unchecked(e);
        }
    }

    @Override
    public int bind(int fd, long addr, int len) {
        try {
            return (int) BIND.invokeExact(capture(), fd, addr, len);
        } catch (Throwable e) {
            throw unchecked(e);
        }
    }

    @Override
    public int listen(int fd, int backlog) {
        try {
            return (int) LISTEN.invokeExact(capture(), fd, backlog);
        } catch (Throwable e) {
            throw unchecked(e);
        }
    }

    @Override
    public int accept4(int fd, long addr, long lenp, int flags) {
        try {
            return (int) ACCEPT4.invokeExact(capture(), fd, addr, lenp, flags);
        } catch (Throwable e) {
            throw unchecked(e);
        }
    }

    @Override
    public int connect(int fd, long addr, int len) {
        try {
            return (int) CONNECT.invokeExact(capture(), fd, addr, len);
        } catch (Throwable e) {
            throw unchecked(e);
        }
    }

    @Override
    public int getsockname(int fd, long addr, long lenp) {
        try {
            return (int) GETSOCKNAME.invokeExact(capture(), fd, addr, lenp);
        } catch (Throwable e) {
            throw unchecked(e);
        }
    }

    @Override
    public int getpeername(int fd, long addr, long lenp) {
        try {
            return (int) GETPEERNAME.invokeExact(capture(), fd, addr, lenp);
        } catch (Throwable e) {
            throw unchecked(e);
        }
    }

    @Override
    public int setsockopt(int fd, int level, int name, long val, int len) {
        try {
            return (int) SETSOCKOPT.invokeExact(capture(), fd, level, name, val, len);
        } catch (Throwable e) {
            throw unchecked(e);
        }
    }

    @Override
    public int getsockopt(int fd, int level, int name, long val, long lenp) {
        try {
            return (int) GETSOCKOPT.invokeExact(capture(), fd, level, name, val, lenp);
        } catch (Throwable e) {
            throw unchecked(e);
        }
    }

    @Override
    public int shutdown(int fd, int how) {
        try {
            return (int) SHUTDOWN.invokeExact(capture(), fd, how);
        } catch (Throwable e) {
            throw unchecked(e);
        }
    }

    @Override
    public int close(int fd) {
        try {
            return (int) CLOSE.invokeExact(capture(), fd);
        } catch (Throwable e) {
            throw unchecked(e);
        }
    }

    @Override
    public long read(int fd, long buf, long n) {
        try {
            return (long) READ.invokeExact(capture(), fd, buf, n);
        } catch (Throwable e) {
            throw unchecked(e);
        }
    }

    @Override
    public long write(int fd, long buf, long n) {
        try {
            return (long) WRITE.invokeExact(capture(), fd, buf, n);
        } catch (Throwable e) {
            throw unchecked(e);
        }
    }

    @Override
    public long readv(int fd, long iov, int iovcnt) {
        try {
            return (long) READV.invokeExact(capture(), fd, iov, iovcnt);
        } catch (Throwable e) {
            throw unchecked(e);
        }
    }

    @Override
    public long writev(int fd, long iov, int iovcnt) {
        try {
            return (long) WRITEV.invokeExact(capture(), fd, iov, iovcnt);
        } catch (Throwable e) {
            throw unchecked(e);
        }
    }

    @Override
    public long recvfrom(int fd, long buf, long n, int flags, long addr, long lenp) {
        try {
            return (long) RECVFROM.invokeExact(capture(), fd, buf, n, flags, addr, lenp);
        } catch (Throwable e) {
            throw unchecked(e);
        }
    }

    @Override
    public long sendto(int fd, long buf, long n, int flags, long addr, int len) {
        try {
            return (long) SENDTO.invokeExact(capture(), fd, buf, n, flags, addr, len);
        } catch (Throwable e) {
            throw unchecked(e);
        }
    }

    @Override
    public long sendmsg(int fd, long msg, int flags) {
        try {
            return (long) SENDMSG.invokeExact(capture(), fd, msg, flags);
        } catch (Throwable e) {
            throw unchecked(e);
        }
    }

    @Override
    public long recvmsg(int fd, long msg, int flags) {
        try {
            return (long) RECVMSG.invokeExact(capture(), fd, msg, flags);
        } catch (Throwable e) {
            throw unchecked(e);
        }
    }

    @Override
    public int pipe2(long fds, int flags) {
        try {
            return (int) PIPE2.invokeExact(capture(), fds, flags);
        } catch (Throwable e) {
            throw unchecked(e);
        }
    }

    @Override
    public int fcntl(int fd, int cmd, int arg) {
        try {
            return (int) FCNTL.invokeExact(capture(), fd, cmd, arg);
        } catch (Throwable e) {
            throw unchecked(e);
        }
    }

    @Override
    public int ioctl(int fd, long request, long arg) {
        try {
            return (int) IOCTL.invokeExact(capture(), fd, request, arg);
        } catch (Throwable e) {
            throw unchecked(e);
        }
    }

    @Override
    public int dup(int fd) {
        try {
            return (int) DUP.invokeExact(capture(), fd);
        } catch (Throwable e) {
            throw unchecked(e);
        }
    }

    @Override
    public int dup2(int oldfd, int newfd) {
        try {
            return (int) DUP2.invokeExact(capture(), oldfd, newfd);
        } catch (Throwable e) {
            throw unchecked(e);
        }
    }

    @Override
    public int poll(long fds, long nfds, int timeout) {
        try {
            return (int) POLL.invokeExact(capture(), fds, nfds, timeout);
        } catch (Throwable e) {
            throw unchecked(e);
        }
    }

    @Override
    public int epoll_create1(int flags) {
        try {
            return (int) EPOLL_CREATE1.invokeExact(capture(), flags);
        } catch (Throwable e) {
            throw unchecked(e);
        }
    }

    @Override
    public int epoll_ctl(int epfd, int op, int fd, long event) {
        try {
            return (int) EPOLL_CTL.invokeExact(capture(), epfd, op, fd, event);
        } catch (Throwable e) {
            throw unchecked(e);
        }
    }

    @Override
    public int epoll_wait(int epfd, long events, int maxevents, int timeout) {
        try {
            return (int) EPOLL_WAIT.invokeExact(capture(), epfd, events, maxevents, timeout);
        } catch (Throwable e) {
            throw unchecked(e);
        }
    }

    @Override
    public int eventfd(int initval, int flags) {
        try {
            return (int) EVENTFD.invokeExact(capture(), initval, flags);
        } catch (Throwable e) {
            throw unchecked(e);
        }
    }

    @Override
    public long syscall(long number, long a1, long a2, long a3, long a4, long a5, long a6) {
        try {
            return (long) SYSCALL.invokeExact(capture(), number, a1, a2, a3, a4, a5, a6);
        } catch (Throwable e) {
            throw unchecked(e);
        }
    }

    @Override
    public int munmap(long addr, long length) {
        try {
            return (int) MUNMAP.invokeExact(capture(), addr, length);
        } catch (Throwable e) {
            throw unchecked(e);
        }
    }

    /** A direct buffer over size bytes of native memory at address (native byte order is the caller's). */
    static ByteBuffer wrap(long address, long size) {
        try {
            return (ByteBuffer) WRAP.invokeExact(address, size);
        } catch (Throwable e) {
            throw unchecked(e);
        }
    }

    /** The path in the file-name encoding, NUL-terminated, in a temporary direct buffer. */
    @Override
    public int open(String path, int flags) {
        byte[] b = path.getBytes(fileNameCharset());
        ByteBuffer c = Memory.temporary(b.length + 1);
        try {
            c.put(b).put((byte) 0);
            return (int) OPEN.invokeExact(capture(), Memory.address(c), flags);
        } catch (Throwable e) {
            throw unchecked(e);
        } finally {
            Memory.release(c);
        }
    }

    private static Charset fileNameCharset() {
        try {
            return Charset.forName(System.getProperty("sun.jnu.encoding"));
        } catch (RuntimeException e) {
            return Charset.defaultCharset();
        }
    }

    @Override
    public String strerror(int errnum) {
        try {
            long p = (long) STRERROR.invokeExact(errnum);
            return p == 0 ? null : (String) C_STRING.invokeExact(p);
        } catch (Throwable e) {
            throw unchecked(e);
        }
    }
}

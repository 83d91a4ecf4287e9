package io.spool.sys;

import static io.spool.sys.Native.C;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * File-descriptor I/O: read, write, scatter/gather, poll, pipes, eventfds.
 * Expected conditions come back as status codes, as the JDK's IOStatus:
 * a count ({@code >= 0}), {@link #EOF} or {@link #UNAVAILABLE}; errors
 * throw through {@link NativeErrors}, a read's reset as
 * {@link ConnectionResetException}.
 * EINTR is retried everywhere.
 */
public final class IO {
    public static final int EOF = -1;
    public static final int UNAVAILABLE = -2;

    /** Linux IOV_MAX. */
    public static final int IOV_MAX = 1024;
    private static final int IOVEC_SIZE = 16;

    private static final ThreadLocal<ByteBuffer> IOVECS =
            ThreadLocal.withInitial(() -> Memory.allocate(IOV_MAX * IOVEC_SIZE));
    private static final ThreadLocal<ByteBuffer> POLLFDS =
            ThreadLocal.withInitial(() -> Memory.allocate(16));
    private static final ThreadLocal<ByteBuffer> SCRATCH =
            ThreadLocal.withInitial(() -> Memory.allocate(16));

    private IO() {
    }

    // ---- raw calls on addresses

    /** read(2) into native memory: a count, EOF or UNAVAILABLE; a reset throws ConnectionResetException. */
    public static long read(int fd, long address, long len) throws IOException {
        for (;;) {
            Counters.call();
            long n = C.read(fd, address, len);
            if (n > 0) {
                Counters.BYTES_READ.add(n);
                return n;
            }
            if (n == 0) {
                return len == 0 ? 0 : EOF;
            }
            int e = Native.errno();
            if (e == Errno.EINTR) {
                continue;
            }
            return readError(e);
        }
    }

    private static int readError(int e) throws IOException {
        if (e == Errno.EAGAIN || e == Errno.EWOULDBLOCK) {
            return UNAVAILABLE;
        }
        if (NativeErrors.isConnectionReset(e)) {
            throw new ConnectionResetException();
        }
        throw NativeErrors.io(e);
    }

    /** write(2) from native memory: a count or UNAVAILABLE. */
    public static long write(int fd, long address, long len) throws IOException {
        for (;;) {
            Counters.call();
            long n = C.write(fd, address, len);
            if (n >= 0) {
                Counters.BYTES_WRITTEN.add(n);
                return n;
            }
            int e = Native.errno();
            if (e == Errno.EINTR) {
                continue;
            }
            if (e == Errno.EAGAIN || e == Errno.EWOULDBLOCK) {
                return UNAVAILABLE;
            }
            throw NativeErrors.io(e);
        }
    }

    // ---- ByteBuffer forms, heap buffers through a temporary direct buffer

    public static int read(int fd, ByteBuffer dst) throws IOException {
        int pos = dst.position();
        int rem = dst.limit() - pos;
        if (rem == 0) {
            return 0;
        }
        if (dst.isDirect()) {
            int n = (int) read(fd, Memory.address(dst) + pos, rem);
            if (n > 0) {
                dst.position(pos + n);
            }
            return n;
        }
        ByteBuffer tmp = Memory.temporary(rem);
        try {
            int n = (int) read(fd, Memory.address(tmp), rem);
            if (n > 0) {
                tmp.limit(n);
                dst.put(tmp);
            }
            return n;
        } finally {
            Memory.release(tmp);
        }
    }

    public static int write(int fd, ByteBuffer src) throws IOException {
        int pos = src.position();
        int rem = src.limit() - pos;
        if (rem == 0) {
            return 0;
        }
        if (src.isDirect()) {
            int n = (int) write(fd, Memory.address(src) + pos, rem);
            if (n > 0) {
                src.position(pos + n);
            }
            return n;
        }
        ByteBuffer tmp = Memory.temporary(rem);
        try {
            tmp.put(src.duplicate());
            int n = (int) write(fd, Memory.address(tmp), rem);
            if (n > 0) {
                src.position(pos + n);
            }
            return n;
        } finally {
            Memory.release(tmp);
        }
    }

    /** readv(2): scatter into dsts[offset, offset+length). */
    public static long read(int fd, ByteBuffer[] dsts, int offset, int length) throws IOException {
        ByteBuffer iov = IOVECS.get();
        long iovAddr = Memory.address(iov);
        ByteBuffer[] shadows = new ByteBuffer[Math.min(length, IOV_MAX)];
        ByteBuffer[] targets = new ByteBuffer[shadows.length];
        int count = 0;
        try {
            for (int i = offset; i < offset + length && count < IOV_MAX; i++) {
                ByteBuffer b = dsts[i];
                int rem = b.remaining();
                if (rem == 0) {
                    continue;
                }
                long base;
                if (b.isDirect()) {
                    base = Memory.address(b) + b.position();
                } else {
                    ByteBuffer tmp = Memory.temporary(rem);
                    shadows[count] = tmp;
                    base = Memory.address(tmp);
                }
                targets[count] = b;
                iov.putLong(count * IOVEC_SIZE, base);
                iov.putLong(count * IOVEC_SIZE + 8, rem);
                count++;
            }
            if (count == 0) {
                return 0;
            }
            long n;
            for (;;) {
                Counters.call();
                n = C.readv(fd, iovAddr, count);
                if (n >= 0) {
                    break;
                }
                int e = Native.errno();
                if (e != Errno.EINTR) {
                    return readError(e);
                }
            }
            if (n == 0) {
                return EOF;
            }
            Counters.BYTES_READ.add(n);
            long left = n;
            for (int i = 0; i < count && left > 0; i++) {
                ByteBuffer b = targets[i];
                int take = (int) Math.min(left, b.remaining());
                if (shadows[i] != null) {
                    ByteBuffer s = shadows[i];
                    s.limit(take);
                    b.put(s);
                } else {
                    b.position(b.position() + take);
                }
                left -= take;
            }
            return n;
        } finally {
            for (int i = 0; i < count; i++) {
                if (shadows[i] != null) {
                    Memory.release(shadows[i]);
                }
            }
        }
    }

    /** writev(2): gather from srcs[offset, offset+length). */
    public static long write(int fd, ByteBuffer[] srcs, int offset, int length) throws IOException {
        ByteBuffer iov = IOVECS.get();
        long iovAddr = Memory.address(iov);
        ByteBuffer[] shadows = new ByteBuffer[Math.min(length, IOV_MAX)];
        ByteBuffer[] sources = new ByteBuffer[shadows.length];
        int count = 0;
        try {
            for (int i = offset; i < offset + length && count < IOV_MAX; i++) {
                ByteBuffer b = srcs[i];
                int rem = b.remaining();
                if (rem == 0) {
                    continue;
                }
                long base;
                if (b.isDirect()) {
                    base = Memory.address(b) + b.position();
                } else {
                    ByteBuffer tmp = Memory.temporary(rem);
                    tmp.put(b.duplicate());
                    shadows[count] = tmp;
                    base = Memory.address(tmp);
                }
                sources[count] = b;
                iov.putLong(count * IOVEC_SIZE, base);
                iov.putLong(count * IOVEC_SIZE + 8, rem);
                count++;
            }
            if (count == 0) {
                return 0;
            }
            long n;
            for (;;) {
                Counters.call();
                n = C.writev(fd, iovAddr, count);
                if (n >= 0) {
                    break;
                }
                int e = Native.errno();
                if (e == Errno.EINTR) {
                    continue;
                }
                if (e == Errno.EAGAIN || e == Errno.EWOULDBLOCK) {
                    return UNAVAILABLE;
                }
                throw NativeErrors.io(e);
            }
            Counters.BYTES_WRITTEN.add(n);
            long left = n;
            for (int i = 0; i < count && left > 0; i++) {
                ByteBuffer b = sources[i];
                int take = (int) Math.min(left, b.remaining());
                b.position(b.position() + take);
                left -= take;
            }
            return n;
        } finally {
            for (int i = 0; i < count; i++) {
                if (shadows[i] != null) {
                    Memory.release(shadows[i]);
                }
            }
        }
    }

    // ---- poll

    /**
     * poll(2) on fd for events, and on wakeFd (if {@code >= 0}) for POLLIN.
     * Returns fd's revents, 0 on timeout, a signal, or a wakeup through wakeFd.
     * timeoutMillis -1 waits forever.
     */
    public static int poll(int fd, int events, int wakeFd, int timeoutMillis) throws IOException {
        ByteBuffer p = POLLFDS.get();
        p.putInt(0, fd);
        p.putShort(4, (short) events);
        p.putShort(6, (short) 0);
        int n = 1;
        if (wakeFd >= 0) {
            p.putInt(8, wakeFd);
            p.putShort(12, (short) Linux.POLLIN);
            p.putShort(14, (short) 0);
            n = 2;
        }
        Counters.call();
        int r = C.poll(Memory.address(p), n, timeoutMillis);
        if (r < 0) {
            int e = Native.errno();
            if (e == Errno.EINTR) {
                return 0;
            }
            throw NativeErrors.io(e);
        }
        return p.getShort(6) & 0xffff;
    }

    // ---- descriptors

    public static void close(int fd) throws IOException {
        Counters.call();
        if (C.close(fd) < 0) {
            int e = Native.errno();
            if (e != Errno.EINTR) { // Linux closes the fd even on EINTR
                throw NativeErrors.io(e);
            }
        }
    }

    /** O_NONBLOCK on an fd this process did not open (an inherited one). */
    public static void setNonBlocking(int fd) throws IOException {
        Counters.call();
        int fl = C.fcntl(fd, Linux.F_GETFL, 0);
        if (fl < 0 || C.fcntl(fd, Linux.F_SETFL, fl | Linux.O_NONBLOCK) < 0) {
            throw NativeErrors.io(Native.errno());
        }
    }

    /**
     * Closes the fd of an inherited channel as the JDK does
     * (sun.nio.ch.InheritedChannel): the channel's fd is a dup of fd 0,
     * and once it is closed /dev/null takes the place of fds 0, 1 and 2,
     * so that the socket is let go of and no later open(2) gets them.
     */
    public static void release(int fd) throws IOException {
        close(fd);
        Counters.call();
        int nul = C.open("/dev/null", Linux.O_RDWR | Linux.O_CLOEXEC);
        if (nul < 0) {
            throw NativeErrors.io(Native.errno());
        }
        try {
            for (int std = 0; std <= 2; std++) {
                if (C.dup2(nul, std) < 0) {
                    throw NativeErrors.io(Native.errno());
                }
            }
        } finally {
            C.close(nul);
        }
    }

    public static void closeQuietly(int fd) {
        if (fd >= 0) {
            Counters.call();
            C.close(fd);
        }
    }

    /** pipe2 with O_NONBLOCK | O_CLOEXEC: {read end, write end}. */
    public static int[] pipe() throws IOException {
        ByteBuffer b = SCRATCH.get();
        Counters.call();
        if (C.pipe2(Memory.address(b), Linux.O_NONBLOCK | Linux.O_CLOEXEC) < 0) {
            throw NativeErrors.io(Native.errno());
        }
        return new int[] {b.getInt(0), b.getInt(4)};
    }

    /** A non-blocking close-on-exec eventfd. */
    public static int eventfd() throws IOException {
        Counters.call();
        int fd = C.eventfd(0, Linux.EFD_NONBLOCK | Linux.EFD_CLOEXEC);
        if (fd < 0) {
            throw NativeErrors.io(Native.errno());
        }
        return fd;
    }

    /** Adds 1 to an eventfd's counter. */
    public static void signal(int eventfd) throws IOException {
        ByteBuffer b = SCRATCH.get();
        b.putLong(0, 1L);
        write(eventfd, Memory.address(b), 8);
    }

    /** Resets an eventfd's counter (non-blocking). */
    public static void drain(int eventfd) throws IOException {
        ByteBuffer b = SCRATCH.get();
        read(eventfd, Memory.address(b), 8);
    }

    /** open(2) with O_RDWR | O_CLOEXEC, or -errno. */
    public static int openDevice(String path) {
        Counters.call();
        int fd = C.open(path, Linux.O_RDWR | Linux.O_CLOEXEC);
        return fd >= 0 ? fd : -Native.errno();
    }

    /** ioctl(2) with a pointer or integer argument; returns the result or -errno. */
    public static int ioctl(int fd, long request, long arg) {
        for (;;) {
            Counters.call();
            int r = C.ioctl(fd, request, arg);
            if (r >= 0) {
                return r;
            }
            int e = Native.errno();
            if (e != Errno.EINTR) {
                return -e;
            }
        }
    }
}

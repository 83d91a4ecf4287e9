package io.spool.sys;

/**
 * The errno values the provider tests for: Linux's generic values, which
 * x86-64 and arm64 share (as {@link Linux}'s constants). Literals, so that
 * the provider runs without jnr-constants (the FFM binding, {@link Native});
 * ErrnoTest checks each against jnr-constants and the C library's headers.
 */
public final class Errno {
    private Errno() {
    }

    public static final int EPERM = 1;
    public static final int EINTR = 4;
    public static final int EBADF = 9;
    public static final int EAGAIN = 11;
    public static final int EWOULDBLOCK = 11;
    public static final int EINVAL = 22;
    public static final int EPIPE = 32;
    public static final int EACCES = 13;
    public static final int ENOENT = 2;
    public static final int ENXIO = 6;
    public static final int ENODEV = 19;
    public static final int ENOMEM = 12;
    public static final int EBUSY = 16;
    public static final int ENOSYS = 38;
    public static final int ETIME = 62;
    public static final int EEXIST = 17;
    public static final int EINPROGRESS = 115;
    public static final int EALREADY = 114;
    public static final int EISCONN = 106;
    public static final int ENOTCONN = 107;
    public static final int ECONNREFUSED = 111;
    public static final int ECONNRESET = 104;
    public static final int ECONNABORTED = 103;
    public static final int ETIMEDOUT = 110;
    public static final int EHOSTUNREACH = 113;
    public static final int EADDRINUSE = 98;
    public static final int EADDRNOTAVAIL = 99;
    public static final int EPROTO = 71;
    public static final int ENOPROTOOPT = 92;
    public static final int EOPNOTSUPP = 95;
    public static final int EAFNOSUPPORT = 97;
    public static final int EMSGSIZE = 90;
    public static final int ENOTSOCK = 88;
    public static final int ECANCELED = 125;
}

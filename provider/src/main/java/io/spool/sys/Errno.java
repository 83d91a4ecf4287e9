package io.spool.sys;

/** The errno values the provider tests for, from jnr-constants. */
public final class Errno {
    private Errno() {
    }

    public static final int EPERM = v(jnr.constants.platform.Errno.EPERM);
    public static final int EINTR = v(jnr.constants.platform.Errno.EINTR);
    public static final int EBADF = v(jnr.constants.platform.Errno.EBADF);
    public static final int EAGAIN = v(jnr.constants.platform.Errno.EAGAIN);
    public static final int EWOULDBLOCK = v(jnr.constants.platform.Errno.EWOULDBLOCK);
    public static final int EINVAL = v(jnr.constants.platform.Errno.EINVAL);
    public static final int EPIPE = v(jnr.constants.platform.Errno.EPIPE);
    public static final int EACCES = v(jnr.constants.platform.Errno.EACCES);
    public static final int ENOENT = v(jnr.constants.platform.Errno.ENOENT);
    public static final int EEXIST = v(jnr.constants.platform.Errno.EEXIST);
    public static final int EINPROGRESS = v(jnr.constants.platform.Errno.EINPROGRESS);
    public static final int EALREADY = v(jnr.constants.platform.Errno.EALREADY);
    public static final int EISCONN = v(jnr.constants.platform.Errno.EISCONN);
    public static final int ENOTCONN = v(jnr.constants.platform.Errno.ENOTCONN);
    public static final int ECONNREFUSED = v(jnr.constants.platform.Errno.ECONNREFUSED);
    public static final int ECONNRESET = v(jnr.constants.platform.Errno.ECONNRESET);
    public static final int ECONNABORTED = v(jnr.constants.platform.Errno.ECONNABORTED);
    public static final int ETIMEDOUT = v(jnr.constants.platform.Errno.ETIMEDOUT);
    public static final int EHOSTUNREACH = v(jnr.constants.platform.Errno.EHOSTUNREACH);
    public static final int EADDRINUSE = v(jnr.constants.platform.Errno.EADDRINUSE);
    public static final int EADDRNOTAVAIL = v(jnr.constants.platform.Errno.EADDRNOTAVAIL);
    public static final int EPROTO = v(jnr.constants.platform.Errno.EPROTO);
    public static final int ENOPROTOOPT = v(jnr.constants.platform.Errno.ENOPROTOOPT);
    public static final int EAFNOSUPPORT = v(jnr.constants.platform.Errno.EAFNOSUPPORT);
    public static final int EMSGSIZE = v(jnr.constants.platform.Errno.EMSGSIZE);

    private static int v(jnr.constants.platform.Errno e) {
        return e.intValue();
    }
}

package io.spool.sys;

import jnr.ffi.annotations.IgnoreError;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * The libc functions the provider calls, bound by JNR-FFI or, without it
 * on JDK 22 and later, by {@link FfmLibC} (see {@link Native}).
 *
 * <p>The JNR annotations stay: they tell JNR the C types. Without the JNR
 * jars the interface still loads, as the JVM skips annotations whose
 * classes are missing (checked by the conformance run without them,
 * {@code FfmConformanceTest}).
 *
 * <p>Memory arguments are raw addresses passed as {@code long}: on the 64-bit
 * Linux ABIs a pointer travels in the same register as a 64-bit integer, and
 * this avoids a {@code Pointer} allocation per call. Callers get addresses
 * from direct buffers ({@link Memory#address}).
 */
public interface LibC {
    int socket(int domain, int type, int protocol);
    int bind(int fd, long addr, int len);
    int listen(int fd, int backlog);
    int accept4(int fd, long addr, long lenp, int flags);
    int connect(int fd, long addr, int len);
    int getsockname(int fd, long addr, long lenp);
    int getpeername(int fd, long addr, long lenp);
    int setsockopt(int fd, int level, int name, long val, int len);
    int getsockopt(int fd, int level, int name, long val, long lenp);
    int shutdown(int fd, int how);
    int close(int fd);

    @ssize_t long read(int fd, long buf, @size_t long n);
    @ssize_t long write(int fd, long buf, @size_t long n);
    @ssize_t long readv(int fd, long iov, int iovcnt);
    @ssize_t long writev(int fd, long iov, int iovcnt);
    @ssize_t long recvfrom(int fd, long buf, @size_t long n, int flags, long addr, long lenp);
    @ssize_t long sendto(int fd, long buf, @size_t long n, int flags, long addr, int len);
    // 3 arguments: JNR-FFI 2.2 passes the sixth argument of sendto/recvfrom wrongly on x86-64
    @ssize_t long sendmsg(int fd, long msg, int flags);
    @ssize_t long recvmsg(int fd, long msg, int flags);

    int pipe2(long fds, int flags);
    int fcntl(int fd, int cmd, int arg);
    int ioctl(int fd, long request, long arg);
    int dup(int fd);
    int dup2(int oldfd, int newfd);
    int poll(long fds, long nfds, int timeout);

    int epoll_create1(int flags);
    int epoll_ctl(int epfd, int op, int fd, long event);
    int epoll_wait(int epfd, long events, int maxevents, int timeout);
    int eventfd(int initval, int flags);

    int open(String path, int flags);

    /** syscall(2), for the calls libc has no wrapper for (io_uring); unused arguments are 0. */
    long syscall(long number, long a1, long a2, long a3, long a4, long a5, long a6);
    // no mmap: JNR-FFI 2.2 garbles a six-argument call (see sendto above); Uring maps through syscall
    int munmap(long addr, @size_t long length);

    @IgnoreError
    String strerror(int errnum);
}

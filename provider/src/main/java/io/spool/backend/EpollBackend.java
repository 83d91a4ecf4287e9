package io.spool.backend;

import io.spool.sys.Counters;
import io.spool.sys.Errno;
import io.spool.sys.IO;
import io.spool.sys.Linux;
import io.spool.sys.Memory;
import io.spool.sys.Native;
import io.spool.sys.NativeErrors;
import java.io.IOException;
import java.nio.ByteBuffer;

/** Plain epoll, an eventfd for wakeups; no batching. */
public final class EpollBackend implements Backend {
    /** As the JDK's EPollSelectorImpl: at most this many events per wait. */
    static final int MAX_EVENTS = 1024;
    private static final long WAKE_COOKIE = -1L;

    @Override
    public String name() {
        return "epoll";
    }

    @Override
    public Poller openPoller() throws IOException {
        return new EpollPoller();
    }

    static final class EpollPoller implements Poller {
        private final int epfd;
        private final int wakefd;
        private final ByteBuffer events = Memory.allocate(MAX_EVENTS * Linux.EPOLL_EVENT_SIZE);
        private final long eventsAddr = Memory.address(events);
        private final ByteBuffer ctl = Memory.allocate(16);
        private final long ctlAddr = Memory.address(ctl);
        private boolean woken;

        EpollPoller() throws IOException {
            Counters.NATIVE_CALLS.increment();
            int fd = Native.C.epoll_create1(Linux.EPOLL_CLOEXEC);
            if (fd < 0) {
                throw NativeErrors.io(Native.errno());
            }
            epfd = fd;
            try {
                wakefd = IO.eventfd();
            } catch (IOException e) {
                IO.closeQuietly(epfd);
                throw e;
            }
            ctl(Linux.EPOLL_CTL_ADD, wakefd, Linux.EPOLLIN, WAKE_COOKIE);
        }

        private void ctl(int op, int fd, int ev, long cookie) throws IOException {
            ctl.putInt(0, ev);
            ctl.putLong(Linux.EPOLL_DATA_OFFSET, cookie);
            Counters.NATIVE_CALLS.increment();
            if (Native.C.epoll_ctl(epfd, op, fd, ctlAddr) < 0) {
                throw NativeErrors.io(Native.errno());
            }
        }

        @Override
        public void register(int fd, int ev, int flags, long cookie) throws IOException {
            ctl(Linux.EPOLL_CTL_ADD, fd, ev, cookie);
        }

        @Override
        public void modify(int fd, int ev, int flags, long cookie) throws IOException {
            ctl(Linux.EPOLL_CTL_MOD, fd, ev, cookie);
        }

        @Override
        public void unregister(int fd) throws IOException {
            ctl.putLong(0, 0);
            Counters.NATIVE_CALLS.increment();
            if (Native.C.epoll_ctl(epfd, Linux.EPOLL_CTL_DEL, fd, ctlAddr) < 0) {
                int e = Native.errno();
                // already gone with its last descriptor: nothing to undo
                if (e != Errno.ENOENT && e != Errno.EBADF) {
                    throw NativeErrors.io(e);
                }
            }
        }

        @Override
        public int poll(int timeoutMillis, Sink sink) throws IOException {
            woken = false;
            Counters.NATIVE_CALLS.increment();
            Counters.WAITS.increment();
            int n = Native.C.epoll_wait(epfd, eventsAddr, MAX_EVENTS, timeoutMillis);
            if (n < 0) {
                int e = Native.errno();
                if (e == Errno.EINTR) {
                    return 0;
                }
                throw NativeErrors.io(e);
            }
            Counters.EVENTS.add(n);
            int reported = 0;
            for (int i = 0; i < n; i++) {
                int off = i * Linux.EPOLL_EVENT_SIZE;
                int ev = events.getInt(off);
                long cookie = events.getLong(off + Linux.EPOLL_DATA_OFFSET);
                if (cookie == WAKE_COOKIE) {
                    IO.drain(wakefd);
                    woken = true;
                } else {
                    sink.ready(cookie, ev);
                    reported++;
                }
            }
            return reported;
        }

        @Override
        public boolean woken() {
            return woken;
        }

        @Override
        public void wakeup() throws IOException {
            Counters.WAKEUPS.increment();
            IO.signal(wakefd);
        }

        @Override
        public void close() throws IOException {
            IO.closeQuietly(wakefd);
            IO.close(epfd);
        }
    }
}

package io.spool.channels;

import io.spool.sys.IO;
import io.spool.sys.Linux;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.nio.channels.spi.SelectorProvider;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/** A pipe(2), both ends O_NONBLOCK, blocking by parking (the JDK's PipeImpl behaviour). */
public final class SpoolPipe extends Pipe {
    private final Source source;
    private final Sink sink;

    public SpoolPipe(SelectorProvider sp) throws IOException {
        int[] fds = IO.pipe();
        source = new Source(sp, fds[0]);
        sink = new Sink(sp, fds[1]);
    }

    @Override
    public SourceChannel source() {
        return source;
    }

    @Override
    public SinkChannel sink() {
        return sink;
    }

    /** The close protocol shared by both ends: like the JDK's Source/SinkChannelImpl. */
    private static final class End {
        final int fd;
        final ReentrantLock lock = new ReentrantLock();
        final Object stateLock = new Object();
        static final int ST_INUSE = 0;
        static final int ST_CLOSING = 1;
        static final int ST_CLOSED = 2;
        int state;
        Waiter waiter;

        End(int fd) {
            this.fd = fd;
        }

        void begin(java.nio.channels.spi.AbstractSelectableChannel ch, boolean blocking)
                throws ClosedChannelException {
            synchronized (stateLock) {
                if (!ch.isOpen()) {
                    throw new ClosedChannelException();
                }
                if (blocking) {
                    waiter = Waiter.current();
                }
            }
        }

        void end(java.nio.channels.spi.AbstractSelectableChannel ch, boolean blocking) {
            if (blocking) {
                synchronized (stateLock) {
                    waiter = null;
                    if (state == ST_CLOSING) {
                        tryFinishClose(ch);
                    }
                }
            }
        }

        boolean tryClose(java.nio.channels.spi.AbstractSelectableChannel ch) throws IOException {
            if (waiter == null && !ch.isRegistered()) {
                state = ST_CLOSED;
                IO.close(fd);
                return true;
            }
            return false;
        }

        void tryFinishClose(java.nio.channels.spi.AbstractSelectableChannel ch) {
            try {
                tryClose(ch);
            } catch (IOException ignore) {
                // gone either way
            }
        }

        void implClose(java.nio.channels.spi.AbstractSelectableChannel ch) throws IOException {
            synchronized (stateLock) {
                state = ST_CLOSING;
                if (!tryClose(ch) && waiter != null) {
                    waiter.unpark();
                }
            }
            if (!ch.isBlocking()) {
                lock.lock();
                lock.unlock();
            }
        }

        void kill(java.nio.channels.spi.AbstractSelectableChannel ch) {
            synchronized (stateLock) {
                if (state == ST_CLOSING) {
                    tryFinishClose(ch);
                }
            }
        }

        void configureBlocking(java.nio.channels.spi.AbstractSelectableChannel ch) throws IOException {
            lock.lock();
            try {
                synchronized (stateLock) {
                    if (!ch.isOpen()) {
                        throw new ClosedChannelException();
                    }
                }
            } finally {
                lock.unlock();
            }
        }
    }

    static final class Source extends Pipe.SourceChannel implements SpoolChannel {
        private final End end;

        Source(SelectorProvider sp, int fd) {
            super(sp);
            end = new End(fd);
        }

        @Override
        public int fd() {
            return end.fd;
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            Objects.requireNonNull(dst);
            if (dst.isReadOnly()) {
                throw new IllegalArgumentException("Read-only buffer");
            }
            end.lock.lock();
            try {
                JdkRelease.ensureOpenFirst(this);
                boolean blocking = isBlocking();
                int n = 0;
                try {
                    if (blocking) {
                        begin();
                    }
                    end.begin(this, blocking);
                    n = IO.read(end.fd, dst);
                    if (blocking) {
                        while (n == IO.UNAVAILABLE && isOpen()) {
                            Waiter.current().park(end.fd, Linux.POLLIN, -1);
                            n = IO.read(end.fd, dst);
                        }
                    }
                } finally {
                    end.end(this, blocking);
                    if (blocking) {
                        end(n > 0);
                    }
                }
                return n == IO.UNAVAILABLE ? 0 : n;
            } finally {
                end.lock.unlock();
            }
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
            Objects.checkFromIndexSize(offset, length, dsts.length);
            end.lock.lock();
            try {
                JdkRelease.ensureOpenFirst(this);
                boolean blocking = isBlocking();
                long n = 0;
                try {
                    if (blocking) {
                        begin();
                    }
                    end.begin(this, blocking);
                    n = IO.read(end.fd, dsts, offset, length);
                    if (blocking) {
                        while (n == IO.UNAVAILABLE && isOpen()) {
                            Waiter.current().park(end.fd, Linux.POLLIN, -1);
                            n = IO.read(end.fd, dsts, offset, length);
                        }
                    }
                } finally {
                    end.end(this, blocking);
                    if (blocking) {
                        end(n > 0);
                    }
                }
                return n == IO.UNAVAILABLE ? 0 : n;
            } finally {
                end.lock.unlock();
            }
        }

        @Override
        public long read(ByteBuffer[] dsts) throws IOException {
            return read(dsts, 0, dsts.length);
        }


        @Override
        protected void implConfigureBlocking(boolean block) throws IOException {
            end.configureBlocking(this);
        }

        @Override
        protected void implCloseSelectableChannel() throws IOException {
            end.implClose(this);
        }

        @Override
        public void kill() {
            end.kill(this);
        }

        @Override
        public int translateInterestOps(int ops) {
            return (ops & SelectionKey.OP_READ) != 0 ? Linux.POLLIN : 0;
        }

        @Override
        public boolean translateReadyOps(int events, int initialOps, SpoolSelectionKey key) {
            return SpoolChannel.translate(events, initialOps, key, SelectionKey.OP_READ, 0);
        }
    }

    static final class Sink extends Pipe.SinkChannel implements SpoolChannel {
        private final End end;

        Sink(SelectorProvider sp, int fd) {
            super(sp);
            end = new End(fd);
        }

        @Override
        public int fd() {
            return end.fd;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            Objects.requireNonNull(src);
            end.lock.lock();
            try {
                JdkRelease.ensureOpenFirst(this);
                boolean blocking = isBlocking();
                int n = 0;
                try {
                    if (blocking) {
                        begin();
                    }
                    end.begin(this, blocking);
                    n = IO.write(end.fd, src);
                    if (blocking) {
                        int total = Math.max(n, 0);
                        while (src.hasRemaining() && isOpen()) {
                            Waiter.current().park(end.fd, Linux.POLLOUT, -1);
                            n = IO.write(end.fd, src);
                            total += Math.max(n, 0);
                        }
                        n = total;
                    }
                } finally {
                    end.end(this, blocking);
                    if (blocking) {
                        end(n > 0);
                    }
                }
                return n == IO.UNAVAILABLE ? 0 : n;
            } finally {
                end.lock.unlock();
            }
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            Objects.checkFromIndexSize(offset, length, srcs.length);
            end.lock.lock();
            try {
                JdkRelease.ensureOpenFirst(this);
                boolean blocking = isBlocking();
                long n = 0;
                try {
                    if (blocking) {
                        begin();
                    }
                    end.begin(this, blocking);
                    n = IO.write(end.fd, srcs, offset, length);
                    if (blocking) {
                        while (n == IO.UNAVAILABLE && isOpen()) {
                            Waiter.current().park(end.fd, Linux.POLLOUT, -1);
                            n = IO.write(end.fd, srcs, offset, length);
                        }
                    }
                } finally {
                    end.end(this, blocking);
                    if (blocking) {
                        end(n > 0);
                    }
                }
                return n == IO.UNAVAILABLE ? 0 : n;
            } finally {
                end.lock.unlock();
            }
        }

        @Override
        public long write(ByteBuffer[] srcs) throws IOException {
            return write(srcs, 0, srcs.length);
        }

        @Override
        protected void implConfigureBlocking(boolean block) throws IOException {
            end.configureBlocking(this);
        }

        @Override
        protected void implCloseSelectableChannel() throws IOException {
            end.implClose(this);
        }

        @Override
        public void kill() {
            end.kill(this);
        }

        @Override
        public int translateInterestOps(int ops) {
            return (ops & SelectionKey.OP_WRITE) != 0 ? Linux.POLLOUT : 0;
        }

        @Override
        public boolean translateReadyOps(int events, int initialOps, SpoolSelectionKey key) {
            return SpoolChannel.translate(events, initialOps, key, 0, SelectionKey.OP_WRITE);
        }
    }
}

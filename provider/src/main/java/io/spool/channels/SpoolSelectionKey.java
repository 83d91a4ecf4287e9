package io.spool.channels;

import java.nio.channels.CancelledKeyException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.Selector;
import java.nio.channels.spi.AbstractSelectionKey;

/** A key of a {@link SpoolSelector} (the JDK's SelectionKeyImpl). */
final class SpoolSelectionKey extends AbstractSelectionKey {
    private final SpoolChannel channel;
    private final SpoolSelector selector;
    private volatile int interestOps;
    private volatile int readyOps;
    /** Poll events registered in the backend; selector thread only. */
    int registeredEvents;
    /** Poller.F_* flags registered in the backend; under the selector's cycleLock. */
    int registeredFlags;
    /** SocketBatch.memState() when the registration was last synced; under the selector's cycleLock. */
    int syncedMem;
    /** The select (SpoolSelector.selectSeq) that last reported this key. */
    long lastReported;

    SpoolSelectionKey(SpoolChannel channel, SpoolSelector selector) {
        this.channel = channel;
        this.selector = selector;
    }

    private void ensureValid() {
        if (!isValid()) {
            throw new CancelledKeyException();
        }
    }

    int fd() {
        return channel.fd();
    }

    @Override
    public SelectableChannel channel() {
        return (SelectableChannel) channel;
    }

    SpoolChannel spoolChannel() {
        return channel;
    }

    @Override
    public Selector selector() {
        return selector;
    }

    @Override
    public int interestOps() {
        ensureValid();
        return interestOps;
    }

    @Override
    public java.nio.channels.SelectionKey interestOps(int ops) {
        ensureValid();
        if ((ops & ~channel().validOps()) != 0) {
            throw new IllegalArgumentException();
        }
        int old;
        synchronized (this) {
            old = interestOps;
            interestOps = ops;
        }
        if (ops != old) {
            selector.setEventOps(this);
        }
        return this;
    }

    @Override
    public int interestOpsOr(int ops) {
        ensureValid();
        if ((ops & ~channel().validOps()) != 0) {
            throw new IllegalArgumentException();
        }
        int old;
        synchronized (this) {
            old = interestOps;
            interestOps = old | ops;
        }
        if ((old | ops) != old) {
            selector.setEventOps(this);
        }
        return old;
    }

    @Override
    public int interestOpsAnd(int ops) {
        ensureValid();
        int old;
        synchronized (this) {
            old = interestOps;
            interestOps = old & ops;
        }
        if ((old & ops) != old) {
            selector.setEventOps(this);
        }
        return old;
    }

    @Override
    public int readyOps() {
        ensureValid();
        return readyOps;
    }

    int nioInterestOps() {
        return interestOps;
    }

    int nioReadyOps() {
        return readyOps;
    }

    void nioReadyOps(int ops) {
        readyOps = ops;
    }

    int translateInterestOps() {
        return channel.translateInterestOps(interestOps);
    }

    boolean translateAndSetReadyOps(int events) {
        return channel.translateReadyOps(events, 0, this);
    }

    boolean translateAndUpdateReadyOps(int events) {
        return channel.translateReadyOps(events, readyOps, this);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        sb.append("channel=").append(channel).append(", selector=").append(selector);
        if (isValid()) {
            sb.append(", interestOps=").append(interestOps).append(", readyOps=").append(readyOps);
        } else {
            sb.append(", invalid");
        }
        return sb.toString();
    }
}

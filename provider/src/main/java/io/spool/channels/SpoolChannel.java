package io.spool.channels;

import io.spool.batching.AcceptQueue;
import io.spool.batching.SocketBatch;

/**
 * What the selector needs from our channels (the JDK's SelChImpl).
 * Interest and ready events are Linux poll bits.
 */
interface SpoolChannel {
    int fd();

    /** Interest ops to poll events. */
    int translateInterestOps(int ops);

    /**
     * Poll events to ready ops, starting from {@code initialOps}; sets them
     * on the key and says whether they changed.
     */
    boolean translateReadyOps(int events, int initialOps, SpoolSelectionKey key);

    /** Closes the fd of a channel closed while registered, once its last key is gone. */
    void kill();

    /** A stream socket's batching state (read-ahead, write-behind); null for any other channel. */
    default SocketBatch socketBatch() {
        return null;
    }

    /** A listener's connections accepted ahead; null for any other channel. */
    default AcceptQueue acceptQueue() {
        return null;
    }

    /** The standard translation of ready events (POLLERR/POLLHUP make all interest ready). */
    static boolean translate(int events, int initialOps, SpoolSelectionKey key, int readyIfIn, int readyIfOut) {
        int intOps = key.nioInterestOps();
        int oldOps = key.nioReadyOps();
        int newOps = initialOps;
        if ((events & io.spool.sys.Linux.POLLNVAL) != 0) {
            return false;
        }
        if ((events & (io.spool.sys.Linux.POLLERR | io.spool.sys.Linux.POLLHUP)) != 0) {
            newOps = intOps;
            key.nioReadyOps(newOps);
            return (newOps & ~oldOps) != 0;
        }
        if ((events & io.spool.sys.Linux.POLLIN) != 0) {
            newOps |= intOps & readyIfIn;
        }
        if ((events & io.spool.sys.Linux.POLLOUT) != 0) {
            newOps |= intOps & readyIfOut;
        }
        key.nioReadyOps(newOps);
        return (newOps & ~oldOps) != 0;
    }
}

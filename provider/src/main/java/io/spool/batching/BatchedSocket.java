package io.spool.batching;

import java.util.concurrent.locks.ReentrantLock;

/**
 * What the batching needs from a stream socket channel: its fd, its
 * locks and its state. Implemented by the channel layer; a
 * {@link SocketBatch} holds one.
 */
public interface BatchedSocket {
    int fd();

    /** Held by every read; the batching appends read-ahead bytes under it. */
    ReentrantLock readLock();

    /** Held by every write; the batching touches staged bytes under it. */
    ReentrantLock writeLock();

    boolean isOpen();

    boolean isConnected();

    /** Open, and output not shut down. */
    boolean isOutputOpen();
}

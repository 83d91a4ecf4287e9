/**
 * Backends: what a selector needs from the kernel, behind one interface.
 *
 * <p>A {@link io.spool.backend.Backend} opens one {@link io.spool.backend.Poller}
 * per selector. A poller holds registrations (fd, interest events, a 64-bit
 * cookie the selector gets back), waits for readiness, and can be woken from
 * another thread. Event bits are the Linux {@code POLL*}/{@code EPOLL*} values,
 * which {@code spool.h} shares.
 *
 * <p>Plain socket calls (bind, connect, options, shutdown, close) are the
 * same on every backend and stay in {@code io.spool.sys}; channels call them
 * directly. What a backend may do differently is batch the hot path, and the
 * interface has a place for each kind of batching the spool backend does:
 * <ul>
 * <li><b>Read-ahead.</b> A poll may hand the selector bytes it already
 *   received for a ready socket, through
 *   {@link io.spool.backend.Poller.Sink#received}. The channel keeps them and
 *   serves its next reads from memory. Registrations ask for it with
 *   {@link io.spool.backend.Poller#F_RECV}.</li>
 * <li><b>Accept-ahead.</b> Likewise, connections accepted during the poll
 *   come back through {@link io.spool.backend.Poller.Sink#accepted}
 *   ({@link io.spool.backend.Poller#F_ACCEPT}).</li>
 * <li><b>Write-behind.</b> {@link io.spool.backend.Poller#addSend} queues a
 *   send of bytes the channel staged (a non-blocking write made on the
 *   selector's thread); the next poll does it first, and reports each
 *   result through {@link io.spool.backend.Poller.Sink#sent}. The channel
 *   owns the staged bytes and sends them itself when it must flush (before
 *   a close, a shutdown, a blocking operation, or another thread's I/O).</li>
 * </ul>
 * The spool backend does all three in its one cycle ioctl, the uring backend
 * on io_uring (see {@link io.spool.backend.UringBackend}).
 * The epoll backend does none of these: its poll reports readiness only,
 * {@code addSend} declines, and channels make their own system calls
 * ({@link io.spool.backend.Poller#features()} is 0).
 *
 * <p>{@link io.spool.backend.BackendSelection} picks the backend from
 * {@code -Dspool.backend=auto|spool|uring|epoll}.
 */
package io.spool.backend;

/**
 * Batching: what SPOOL does beyond the JDK, the same for every backend
 * that can do it in its one call per select.
 *
 * <ul>
 * <li><b>Read-ahead.</b> The backend receives for a ready socket during
 *   the select; {@link io.spool.batching.SocketBatch} keeps the bytes (or
 *   the EOF, or the error) and serves the channel's next reads from
 *   memory, in order with reads on other threads.</li>
 * <li><b>Write-behind.</b> A non-blocking write on the selecting thread
 *   that fits the send room the backend reported is staged and sent by the
 *   next select; any other write goes straight out. What a closed channel
 *   still owes goes to the {@link io.spool.batching.Drainer}.</li>
 * <li><b>Accept-ahead.</b> Connections the backend accepted during the
 *   select wait in the listener's {@link io.spool.batching.AcceptQueue}.</li>
 * <li><b>Resets</b> are reported once, by the read or the write that comes
 *   first, as the kernel reports them.</li>
 * </ul>
 *
 * <p>One {@link io.spool.batching.Batcher} per selector holds the cycle
 * lock and the sends of a cycle. This package sees channels only through
 * {@link io.spool.batching.BatchedSocket} and its selector only through
 * {@link io.spool.batching.Batcher.Host}; it calls the backend's
 * {@link io.spool.backend.Poller} to queue sends. A backend without the
 * features (epoll) leaves every switch off, and channels make their own
 * system calls.
 */
package io.spool.batching;

package io.spool.sys;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Provider-wide counters, readable from code ({@code SpoolSelectorProvider.counters()}),
 * through JMX ({@code io.spool:type=Provider}) and by the benchmarks ({@code spool.countersFile}).
 * Every native call the provider makes is counted in {@link #NATIVE_CALLS};
 * the others count what the selector and the batching did.
 */
public final class Counters {
    private Counters() {
    }

    /** Every system call made through {@link Native#C}. */
    public static final LongAdder NATIVE_CALLS = new LongAdder();
    /** Selector select operations (select, selectNow, with or without action). */
    public static final LongAdder SELECTS = new LongAdder();
    /** Native wait calls made by selects (epoll_wait, or the spool cycle). */
    public static final LongAdder WAITS = new LongAdder();
    /** Events returned by those waits; EVENTS / WAITS is the mean batch size. */
    public static final LongAdder EVENTS = new LongAdder();
    /** Selector wakeups that reached the kernel. */
    public static final LongAdder WAKEUPS = new LongAdder();
    public static final LongAdder BYTES_READ = new LongAdder();
    public static final LongAdder BYTES_WRITTEN = new LongAdder();
    public static final LongAdder ACCEPTS = new LongAdder();
    /** spool backend: SPOOL_IOC_CYCLE calls (each is also one native call and one wait). */
    public static final LongAdder CYCLES = new LongAdder();
    /** spool backend: registration changes carried by cycles (struct spool_ctl). */
    public static final LongAdder CYCLE_CTLS = new LongAdder();
    /** spool backend: sends carried by cycles (write-behind). */
    public static final LongAdder CYCLE_SENDS = new LongAdder();
    /** Read-ahead: bytes received by cycles into channels' buffers. */
    public static final LongAdder READ_AHEAD_BYTES = new LongAdder();
    /** Read-ahead: reads served from a channel's buffer, without a system call. */
    public static final LongAdder READS_FROM_MEMORY = new LongAdder();
    /** Write-behind: writes staged for the next cycle instead of a system call. */
    public static final LongAdder STAGED_WRITES = new LongAdder();
    /** Write-behind: staged bytes written directly (flushes before close, shutdown, ...). */
    public static final LongAdder STAGED_FLUSHES = new LongAdder();
    /** Accept-ahead: connections accepted by cycles. */
    public static final LongAdder ACCEPT_AHEAD = new LongAdder();
    /** Accept-ahead: accept() calls served from the queue. */
    public static final LongAdder ACCEPTS_FROM_MEMORY = new LongAdder();
    /** Accept-ahead: cycles whose batched accept /dev/spool refused (EPERM: an LSM may confine us). */
    public static final LongAdder ACCEPT_REFUSED = new LongAdder();
    /** Write-behind: channels whose staged bytes outlived them (Drainer). */
    public static final LongAdder DRAINS = new LongAdder();
    /** Bytes the drainer wrote for closed or shut-down channels. */
    public static final LongAdder DRAINED_BYTES = new LongAdder();
    /** Drains given up after spool.drainTimeoutMs: the connection was reset. */
    public static final LongAdder DRAIN_ABORTS = new LongAdder();
    /** Write-behind: writes that went straight out because the socket's reported room was too small. */
    public static final LongAdder UNSTAGED_WRITES = new LongAdder();
    /** Read-ahead disarmed for good because a worker thread read the channel. */
    public static final LongAdder WORKER_DISARMS = new LongAdder();

    /**
     * Each time SPOOL serves with less than it could: auto below the spool
     * backend, io_uring sends or receives found to wait (write-behind or
     * read-ahead off from then on), libc bound through FFM for want of JNR.
     * Each is logged once, at INFO or WARNING, with its cause.
     */
    public static final LongAdder FALLBACKS = new LongAdder();
    /** System call errors turned into exceptions for the application (NativeErrors). */
    public static final LongAdder ERRORS = new LongAdder();

    public static void call() {
        NATIVE_CALLS.increment();
    }

    /** A snapshot, name to value, in a fixed order. */
    public static Map<String, Long> snapshot() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("nativeCalls", NATIVE_CALLS.sum());
        m.put("selects", SELECTS.sum());
        m.put("waits", WAITS.sum());
        m.put("events", EVENTS.sum());
        m.put("wakeups", WAKEUPS.sum());
        m.put("bytesRead", BYTES_READ.sum());
        m.put("bytesWritten", BYTES_WRITTEN.sum());
        m.put("accepts", ACCEPTS.sum());
        m.put("cycles", CYCLES.sum());
        m.put("cycleCtls", CYCLE_CTLS.sum());
        m.put("cycleSends", CYCLE_SENDS.sum());
        m.put("readAheadBytes", READ_AHEAD_BYTES.sum());
        m.put("readsFromMemory", READS_FROM_MEMORY.sum());
        m.put("stagedWrites", STAGED_WRITES.sum());
        m.put("stagedFlushes", STAGED_FLUSHES.sum());
        m.put("acceptAhead", ACCEPT_AHEAD.sum());
        m.put("acceptsFromMemory", ACCEPTS_FROM_MEMORY.sum());
        m.put("acceptRefused", ACCEPT_REFUSED.sum());
        m.put("workerDisarms", WORKER_DISARMS.sum());
        m.put("unstagedWrites", UNSTAGED_WRITES.sum());
        m.put("drains", DRAINS.sum());
        m.put("drainedBytes", DRAINED_BYTES.sum());
        m.put("drainAborts", DRAIN_ABORTS.sum());
        m.put("fallbacks", FALLBACKS.sum());
        m.put("errors", ERRORS.sum());
        return m;
    }
}

package io.spool.sys;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link Uring}'s mirror of {@code <linux/io_uring.h>}: every structure size
 * and field offset it uses, every flag, opcode and system call number,
 * printed by a C program compiled against the header, must equal ours.
 */
class UringAbiTest {
    private static Map<String, Long> expected() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("sizeof(struct io_uring_params)", (long) Uring.PARAMS_SIZE);
        m.put("offsetof(struct io_uring_params, sq_entries)", (long) Uring.P_SQ_ENTRIES);
        m.put("offsetof(struct io_uring_params, cq_entries)", (long) Uring.P_CQ_ENTRIES);
        m.put("offsetof(struct io_uring_params, flags)", (long) Uring.P_FLAGS);
        m.put("offsetof(struct io_uring_params, features)", (long) Uring.P_FEATURES);
        m.put("offsetof(struct io_uring_params, sq_off)", (long) Uring.P_SQ_OFF);
        m.put("offsetof(struct io_uring_params, cq_off)", (long) Uring.P_CQ_OFF);
        m.put("offsetof(struct io_sqring_offsets, head)", (long) Uring.SQO_HEAD);
        m.put("offsetof(struct io_sqring_offsets, tail)", (long) Uring.SQO_TAIL);
        m.put("offsetof(struct io_sqring_offsets, ring_mask)", (long) Uring.SQO_RING_MASK);
        m.put("offsetof(struct io_sqring_offsets, ring_entries)", (long) Uring.SQO_RING_ENTRIES);
        m.put("offsetof(struct io_sqring_offsets, flags)", (long) Uring.SQO_FLAGS);
        m.put("offsetof(struct io_sqring_offsets, dropped)", (long) Uring.SQO_DROPPED);
        m.put("offsetof(struct io_sqring_offsets, array)", (long) Uring.SQO_ARRAY);
        m.put("offsetof(struct io_cqring_offsets, head)", (long) Uring.CQO_HEAD);
        m.put("offsetof(struct io_cqring_offsets, tail)", (long) Uring.CQO_TAIL);
        m.put("offsetof(struct io_cqring_offsets, ring_mask)", (long) Uring.CQO_RING_MASK);
        m.put("offsetof(struct io_cqring_offsets, ring_entries)", (long) Uring.CQO_RING_ENTRIES);
        m.put("offsetof(struct io_cqring_offsets, overflow)", (long) Uring.CQO_OVERFLOW);
        m.put("offsetof(struct io_cqring_offsets, cqes)", (long) Uring.CQO_CQES);
        m.put("sizeof(struct io_uring_sqe)", (long) Uring.SQE_SIZE);
        m.put("offsetof(struct io_uring_sqe, opcode)", (long) Uring.SQE_OPCODE);
        m.put("offsetof(struct io_uring_sqe, flags)", (long) Uring.SQE_FLAGS);
        m.put("offsetof(struct io_uring_sqe, ioprio)", (long) Uring.SQE_IOPRIO);
        m.put("offsetof(struct io_uring_sqe, fd)", (long) Uring.SQE_FD);
        m.put("offsetof(struct io_uring_sqe, off)", (long) Uring.SQE_OFF);
        m.put("offsetof(struct io_uring_sqe, addr)", (long) Uring.SQE_ADDR);
        m.put("offsetof(struct io_uring_sqe, len)", (long) Uring.SQE_LEN);
        m.put("offsetof(struct io_uring_sqe, poll32_events)", (long) Uring.SQE_OP_FLAGS);
        m.put("offsetof(struct io_uring_sqe, msg_flags)", (long) Uring.SQE_OP_FLAGS);
        m.put("offsetof(struct io_uring_sqe, user_data)", (long) Uring.SQE_USER_DATA);
        m.put("offsetof(struct io_uring_sqe, buf_group)", (long) Uring.SQE_BUF_GROUP);
        m.put("offsetof(struct io_uring_sqe, file_index)", (long) Uring.SQE_FILE_INDEX);
        m.put("sizeof(struct io_uring_cqe)", (long) Uring.CQE_SIZE);
        m.put("offsetof(struct io_uring_cqe, user_data)", (long) Uring.CQE_USER_DATA);
        m.put("offsetof(struct io_uring_cqe, res)", (long) Uring.CQE_RES);
        m.put("offsetof(struct io_uring_cqe, flags)", (long) Uring.CQE_FLAGS);
        m.put("sizeof(struct io_uring_getevents_arg)", (long) Uring.GETEVENTS_ARG_SIZE);
        m.put("offsetof(struct io_uring_getevents_arg, ts)", 16L);
        m.put("sizeof(struct __kernel_timespec)", (long) Uring.TIMESPEC_SIZE);
        m.put("sizeof(struct io_uring_probe)", (long) Uring.PROBE_HEADER);
        m.put("sizeof(struct io_uring_probe_op)", (long) Uring.PROBE_OP_SIZE);
        m.put("offsetof(struct io_uring_probe, ops_len)", 1L);
        m.put("offsetof(struct io_uring_probe_op, flags)", 2L);
        m.put("IO_URING_OP_SUPPORTED", (long) Uring.IO_URING_OP_SUPPORTED);
        m.put("IORING_SETUP_CLAMP", (long) Uring.IORING_SETUP_CLAMP);
        m.put("IORING_SETUP_SUBMIT_ALL", (long) Uring.IORING_SETUP_SUBMIT_ALL);
        m.put("IORING_SETUP_COOP_TASKRUN", (long) Uring.IORING_SETUP_COOP_TASKRUN);
        m.put("IORING_SETUP_SINGLE_ISSUER", (long) Uring.IORING_SETUP_SINGLE_ISSUER);
        m.put("IORING_SETUP_DEFER_TASKRUN", (long) Uring.IORING_SETUP_DEFER_TASKRUN);
        m.put("IORING_FEAT_SINGLE_MMAP", (long) Uring.IORING_FEAT_SINGLE_MMAP);
        m.put("IORING_FEAT_NODROP", (long) Uring.IORING_FEAT_NODROP);
        m.put("IORING_FEAT_EXT_ARG", (long) Uring.IORING_FEAT_EXT_ARG);
        m.put("IORING_ENTER_GETEVENTS", (long) Uring.IORING_ENTER_GETEVENTS);
        m.put("IORING_ENTER_EXT_ARG", (long) Uring.IORING_ENTER_EXT_ARG);
        m.put("IORING_OFF_SQ_RING", Uring.IORING_OFF_SQ_RING);
        m.put("IORING_OFF_CQ_RING", Uring.IORING_OFF_CQ_RING);
        m.put("IORING_OFF_SQES", Uring.IORING_OFF_SQES);
        m.put("IORING_REGISTER_PROBE", (long) Uring.IORING_REGISTER_PROBE);
        m.put("IORING_OP_NOP", (long) Uring.IORING_OP_NOP);
        m.put("IORING_OP_POLL_ADD", (long) Uring.IORING_OP_POLL_ADD);
        m.put("IORING_OP_POLL_REMOVE", (long) Uring.IORING_OP_POLL_REMOVE);
        m.put("IORING_OP_ACCEPT", (long) Uring.IORING_OP_ACCEPT);
        m.put("IORING_OP_ASYNC_CANCEL", (long) Uring.IORING_OP_ASYNC_CANCEL);
        m.put("IORING_OP_SEND", (long) Uring.IORING_OP_SEND);
        m.put("IORING_OP_RECV", (long) Uring.IORING_OP_RECV);
        m.put("IORING_OP_MSG_RING", (long) Uring.IORING_OP_MSG_RING);
        m.put("IORING_POLL_ADD_MULTI", (long) Uring.IORING_POLL_ADD_MULTI);
        m.put("IORING_CQE_F_BUFFER", (long) Uring.IORING_CQE_F_BUFFER);
        m.put("IORING_CQE_F_MORE", (long) Uring.IORING_CQE_F_MORE);
        m.put("__NR_io_uring_setup", (long) Uring.SYS_IO_URING_SETUP);
        m.put("__NR_io_uring_enter", (long) Uring.SYS_IO_URING_ENTER);
        m.put("__NR_io_uring_register", (long) Uring.SYS_IO_URING_REGISTER);
        return m;
    }

    @Test
    void layoutsAndConstantsMatchTheKernelHeader() throws Exception {
        SpoolAbiTest.assertMatchesC("#include <sys/syscall.h>\n#include <linux/io_uring.h>\n", expected());
    }
}

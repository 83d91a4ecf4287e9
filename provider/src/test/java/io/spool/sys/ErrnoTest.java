package io.spool.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import org.junit.jupiter.api.Test;

/**
 * {@link Errno}'s literals against jnr-constants (which the tests' class
 * path has), so that the provider needs no jnr-constants to run.
 */
class ErrnoTest {
    @Test
    void everyValueIsJnrConstants() throws Exception {
        int checked = 0;
        for (Field f : Errno.class.getFields()) {
            if (!Modifier.isStatic(f.getModifiers()) || f.getType() != int.class) {
                continue;
            }
            jnr.constants.platform.Errno e = jnr.constants.platform.Errno.valueOf(f.getName());
            assertEquals(e.intValue(), f.getInt(null), f.getName());
            checked++;
        }
        // a floor, not a count: adding an errno must not need this line changed
        org.junit.jupiter.api.Assertions.assertTrue(checked >= 25, "Errno's constants checked: " + checked);
    }
}

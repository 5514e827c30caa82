package io.github.vit4j.model.kernels;

import org.junit.jupiter.api.function.Executable;

/** A test's temporary system property: set for the body, then put back as it was (or cleared). */
final class SystemProperty {

    private SystemProperty() {
    }

    static void with(String name, String value, Executable body) throws Throwable {
        String before = System.getProperty(name);
        System.setProperty(name, value);
        try {
            body.execute();
        } finally {
            if (before == null) {
                System.clearProperty(name);
            } else {
                System.setProperty(name, before);
            }
        }
    }
}

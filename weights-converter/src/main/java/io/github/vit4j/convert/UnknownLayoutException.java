package io.github.vit4j.convert;

import io.github.vit4j.format.ModelFormatException;

/**
 * Weights whose tensor names fit no layout {@link ModelLoader} knows (Hugging Face, timm), or several: they load
 * with a mapping file from canonical to file names ({@link ModelLoader#load(java.nio.file.Path, java.util.Optional)}).
 * Its type says so, for a program that gives the mapping its own way (a command line's flag) and says how without
 * reading the message.
 */
public final class UnknownLayoutException extends ModelFormatException {

    private static final long serialVersionUID = 1L;

    UnknownLayoutException(String message) {
        super(message);
    }
}

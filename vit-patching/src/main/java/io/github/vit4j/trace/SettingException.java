package io.github.vit4j.trace;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * A dataset trace's setting that cannot be used as given, or a failure that other values of some settings would
 * avoid. The message says what is wrong and names the library's API ({@code DatasetTrace.Options.limit()});
 * {@link #settings()} names the settings as values, so that a program that sets them its own way (a command line,
 * with its flags) can point at that way without reading the message.
 */
public final class SettingException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /** The settings, in the order the message names them; a list of enum constants: serializable (Spark). */
    private final ArrayList<DatasetTrace.Setting> settings;

    /** An exception with a complete, user-facing message about {@code setting} and perhaps {@code more}. */
    public SettingException(String message, DatasetTrace.Setting setting, DatasetTrace.Setting... more) {
        this(message, concat(setting, more));
    }

    /**
     * An exception with a complete, user-facing message about {@code settings}.
     *
     * @throws IllegalArgumentException for no settings: a failure about none is a plain IllegalArgumentException
     */
    public SettingException(String message, List<DatasetTrace.Setting> settings) {
        super(message);
        if (settings.isEmpty()) {
            throw new IllegalArgumentException("a SettingException names at least one DatasetTrace.Setting; "
                    + "for a failure about none, throw an IllegalArgumentException (message: " + message + ")");
        }
        this.settings = new ArrayList<>(new LinkedHashSet<>(settings));
    }

    /** The settings the failure is about, each once, in the order the message names them. */
    public List<DatasetTrace.Setting> settings() {
        return List.copyOf(settings);
    }

    private static List<DatasetTrace.Setting> concat(DatasetTrace.Setting first, DatasetTrace.Setting... more) {
        List<DatasetTrace.Setting> all = new ArrayList<>(List.of(first));
        all.addAll(List.of(more));
        return all;
    }
}

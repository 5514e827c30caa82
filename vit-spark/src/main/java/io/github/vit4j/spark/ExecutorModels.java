package io.github.vit4j.spark;

import io.github.vit4j.convert.ModelLoader;
import io.github.vit4j.model.Pretrained;
import io.github.vit4j.model.Vit;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The models of this JVM, each loaded once by the first task that asks for it and shared by every later task of the
 * executor (Spark runs several tasks of a job, and the jobs of an application, in one executor JVM). A model is
 * read-only once loaded, so concurrent tasks share it.
 */
final class ExecutorModels {

    /** A loaded model and the preprocessing its inputs need. */
    record Loaded(Vit vit, Pretrained pretrained) {
    }

    private static final Map<String, Loaded> MODELS = new ConcurrentHashMap<>();

    private ExecutorModels() {
    }

    /**
     * The model at {@code location} ({@link ModelLoader#load(String)}: a path or {@code hf:org/name}), loaded on the
     * first call in this JVM.
     *
     * @throws UncheckedIOException naming the location when it cannot be loaded
     */
    static Loaded get(String location) {
        return MODELS.computeIfAbsent(location, l -> {
            try {
                Pretrained p = ModelLoader.load(l);
                return new Loaded(new Vit(p.weights()), p);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot load the model " + l + " on this executor: " + e.getMessage()
                        + "; give a path that every executor reads (shared storage) or an hf: model", e);
            }
        });
    }
}

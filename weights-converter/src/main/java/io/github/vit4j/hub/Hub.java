package io.github.vit4j.hub;

import io.github.vit4j.convert.ModelLoader;
import io.github.vit4j.format.AtomicFile;
import io.github.vit4j.format.ModelFormatException;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Downloads the files vit4j needs from a model repository on the Hugging Face Hub into {@code huggingface_hub}'s
 * cache, and gives the snapshot folder, which {@link io.github.vit4j.convert.ModelLoader} reads like any model folder.
 *
 * <pre>{@code
 * Path folder = Hub.of(HubSettings.fromEnvironment())
 *         .download(HubModel.parse("hf:google/vit-base-patch16-224"), p -> { });
 * }</pre>
 *
 * What is fetched: {@code model.safetensors}, else {@code pytorch_model.bin} (each possibly sharded: its
 * {@code .index.json} and the shards it lists), plus {@code config.json} and {@code preprocessor_config.json};
 * nothing else. Requests: one for the revision's commit and file list, then for each file not yet in the cache a
 * HEAD and a GET. None at all when the revision is a commit hash whose snapshot is complete, or when
 * {@link HubSettings#offline()}. A snapshot is complete when it holds the weights (every shard) and each config file
 * or the cache's record that the repository has none ({@code .no_exist/<commit>/<file>}, as {@code huggingface_hub}
 * records it): a download cut short is never used as the model. When the Hub cannot be reached or answers with a
 * server error (5xx), a cached complete snapshot of the revision is used (with a warning through SLF4J).
 */
public final class Hub {

    private static final Logger LOG = LoggerFactory.getLogger(Hub.class);

    private final HubSettings settings;
    private final HubHttp http;

    /**
     * Progress of one file's download.
     *
     * @param file  the file's path in the repository
     * @param done  bytes in the cache so far (a resumed download starts above 0)
     * @param total the file's size in bytes, -1 if the Hub did not state it
     */
    public record Progress(String file, long done, long total) {
    }

    private Hub(HubSettings settings) {
        this.settings = settings;
        this.http = new HubHttp(settings);
    }

    /** A Hub client with these settings. */
    public static Hub of(HubSettings settings) {
        return new Hub(settings);
    }

    /** The settings this client uses. */
    public HubSettings settings() {
        return settings;
    }

    /**
     * The local folder for a model location: a Hub spec ({@code hf:org/name[@revision]}) is downloaded with
     * {@link HubSettings#fromEnvironment()} and its snapshot folder returned; anything else is a path.
     *
     * @throws IOException as {@link #download}
     */
    public static Path resolve(String location) throws IOException {
        return HubModel.isSpec(location) ? of(HubSettings.fromEnvironment()).download(HubModel.parse(location),
                p -> { }) : Path.of(location);
    }

    /**
     * Brings {@code model}'s weights and config files into the cache and returns its snapshot folder,
     * {@code <cache>/models--{org}--{name}/snapshots/<commit>}.
     *
     * @param progress receives each file's progress while it downloads (nothing for files already cached)
     * @throws IOException naming the repository and what to do: not found, private or gated (set
     *                     {@code HF_TOKEN}), no weights vit4j reads, the Hub unreachable with nothing cached, a
     *                     download cut short after every retry (kept to resume, never used)
     */
    public Path download(HubModel model, Consumer<Progress> progress) throws IOException {
        HubCache cache = new HubCache(settings.cache(), model.repo());
        if (settings.offline()) {
            Optional<String> commit = cache.commitOf(model);
            String lacks = commit.isPresent() ? lacks(model, cache, commit.get()) : "everything";
            if (lacks.isEmpty()) {
                return cache.snapshot(commit.get());
            }
            throw new IOException(model + (lacks.equals("everything") ? " is not in the Hub cache " + settings.cache()
                    : " is in the Hub cache only in part: " + cache.snapshot(commit.get()) + " lacks " + lacks
                    + " (a download cut short)") + ", and HubSettings.offline() (HF_HUB_OFFLINE) forbids"
                    + " downloading it: download it once with network (Python's huggingface_hub shares this cache),"
                    + " or unset HF_HUB_OFFLINE");
        }
        if (model.isCommit()) {
            Optional<Path> done = cached(model, cache);
            if (done.isPresent()) {
                return done.get(); // a commit never changes: no request
            }
        }
        HubHttp.RepoInfo info;
        try {
            info = http.revisionInfo(model);
        } catch (HubHttp.UnreachableException | HubHttp.RefusedException | HubHttp.BadReplyException e) {
            if (e instanceof HubHttp.RefusedException refused && refused.status < 500) {
                throw e; // the Hub's answer (not found, no access) stands even if a copy is cached
            }
            String trouble = e instanceof HubHttp.UnreachableException ? "cannot be reached" : "is failing";
            Optional<Path> done = cached(model, cache);
            if (done.isPresent()) {
                LOG.warn("the Hub at {} {} ({}); using the cached snapshot of {} at {}", settings.endpoint(), trouble,
                        e.getMessage(), model, done.get());
                return done.get();
            }
            throw new IOException("the Hub at " + settings.endpoint() + " " + trouble + " (" + e.getMessage()
                    + ") and " + model + " is not in the cache " + settings.cache() + ". Check the network (and"
                    + " HF_ENDPOINT); to work offline, download the model once where there is network, or copy a"
                    + " huggingface_hub cache holding it, then set HF_HUB_OFFLINE=1", e);
        }
        if (!model.isCommit()) {
            cache.writeRef(model.revision(), info.commit());
        }
        String where = model + " (commit " + info.commit() + ")";
        for (String config : WeightFiles.configs(WeightFiles.weights(info.files(), where))) {
            if (!info.files().contains(config)) {
                cache.recordAbsent(info.commit(), config); // so that the snapshot can be complete without it
            }
        }
        for (String file : WeightFiles.toFetch(info.files(), where)) {
            Path local = fetch(model, cache, info.commit(), file, progress);
            if (WeightFiles.isIndex(file)) {
                for (String shard : ModelLoader.shardsOf(local)) { // plain file names, or refused naming the index
                    if (!info.files().contains(shard)) {
                        throw new ModelFormatException(file + " of " + where + " names the shard " + shard
                                + ", which the repository does not hold; the repository is incomplete");
                    }
                    fetch(model, cache, info.commit(), shard, progress);
                }
            }
        }
        return cache.snapshot(info.commit());
    }

    /** One file into the cache (blob + snapshot link); nothing is requested if the snapshot has it already. */
    private Path fetch(HubModel model, HubCache cache, String commit, String file, Consumer<Progress> progress)
            throws IOException {
        Path pointer = cache.pointer(commit, file);
        if (cache.has(commit, file)) {
            return pointer;
        }
        HubHttp.FileMeta meta = http.head(model, commit, file);
        Path blob = cache.blob(meta.etag());
        if (!Files.exists(blob)) {
            try (Closeable lock = cache.lock(meta.etag())) {
                if (!Files.exists(blob)) { // another thread or process may have finished it while we waited
                    Path incomplete = cache.incomplete(meta.etag());
                    Files.createDirectories(incomplete.getParent());
                    http.download(meta, incomplete, file, progress);
                    AtomicFile.moveDurably(incomplete, blob);
                }
            }
        }
        cache.link(blob, pointer);
        return pointer;
    }

    /**
     * The cached snapshot of {@code model}'s revision if it is complete ({@link #lacks} nothing); never a request.
     */
    private static Optional<Path> cached(HubModel model, HubCache cache) throws IOException {
        Optional<String> commit = cache.commitOf(model);
        return commit.isPresent() && lacks(model, cache, commit.get()).isEmpty()
                ? Optional.of(cache.snapshot(commit.get())) : Optional.empty();
    }

    /**
     * What the cached snapshot of {@code commit} lacks, "" if nothing: weights vit4j reads (with every shard of a
     * sharded checkpoint), and each config file, unless the cache records that the repository has none
     * ({@code .no_exist/<commit>/<file>}, which huggingface_hub writes too). A download cut short leaves a snapshot
     * that lacks something, which is then never used as the model.
     */
    private static String lacks(HubModel model, HubCache cache, String commit) throws IOException {
        List<String> files = cache.files(commit);
        if (files.isEmpty()) {
            return "everything";
        }
        String weights;
        try {
            weights = WeightFiles.weights(files, model.toString());
        } catch (ModelFormatException e) {
            return "weights (one of " + WeightFiles.WEIGHTS + ")";
        }
        List<String> missing = new ArrayList<>();
        if (WeightFiles.isIndex(weights)) {
            ModelLoader.shardsOf(cache.pointer(commit, weights)).stream().filter(s -> !files.contains(s))
                    .forEach(missing::add);
        }
        WeightFiles.configs(weights).stream().filter(c -> !files.contains(c) && !cache.knownAbsent(commit, c))
                .forEach(missing::add);
        return String.join(", ", missing);
    }
}

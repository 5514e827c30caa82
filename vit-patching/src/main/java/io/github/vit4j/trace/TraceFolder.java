package io.github.vit4j.trace;

import io.github.vit4j.format.AtomicFile;
import io.github.vit4j.format.FolderLock;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;

/**
 * A dataset trace's output folder, held by one run: locked against a second writer for as long as it is open
 * (the operating system releases the lock when the process ends, however it ends), with the settings its trace was
 * made with ({@code trace.meta.properties}) and the complete images of its {@code trace.csv}. {@link DatasetTrace}
 * resumes the trace in it; a trace that writes its files anew (a Spark trace) takes the same lock with
 * {@link #lockToRewrite}.
 */
public final class TraceFolder implements AutoCloseable {

    static final String LOCK = "trace.lock";
    static final String SETTINGS = "trace.meta.properties";
    static final String CSV = "trace.csv";
    /** The Parquet table of a Spark trace (vit-spark), beside its trace.csv. */
    static final String PARQUET = "trace.parquet";

    private final Path dir;
    private final FolderLock lock;

    private TraceFolder(Path dir, FolderLock lock) {
        this.dir = dir;
        this.lock = lock;
    }

    /**
     * Creates {@code dir} if needed and takes its lock.
     *
     * @throws IOException at once when another trace (in this process or another) is writing to {@code dir}
     */
    static TraceFolder lock(Path dir) throws IOException {
        return new TraceFolder(dir, FolderLock.take(dir, LOCK, "trace", "one folder takes one trace at a time: wait "
                + "for that trace to finish, or trace into another folder"));
    }

    /**
     * Creates {@code dir} if needed and takes its lock, as {@link DatasetTrace#run} does, for a trace that writes
     * {@code trace.csv} (and a Spark trace's {@code trace.parquet}) anew rather than resuming; close it once its
     * files and reports are written.
     *
     * @throws IOException              at once when another trace (in this process or another) is writing to
     *                                  {@code dir}
     * @throws IllegalArgumentException when {@code dir} holds a trace that {@link DatasetTrace#run} resumes
     *                                  ({@code trace.meta.properties}), or a {@code trace.csv} with no
     *                                  {@code trace.parquet} beside it: files that writing anew would overwrite
     */
    public static TraceFolder lockToRewrite(Path dir) throws IOException {
        TraceFolder folder = lock(dir);
        try {
            if (Files.exists(dir.resolve(SETTINGS))) {
                throw new IllegalArgumentException(dir + " holds a trace that DatasetTrace.run resumes ("
                        + SETTINGS + " beside its " + CSV + "), which a trace written anew would overwrite: trace "
                        + "into another folder, or delete that trace first");
            }
            if (Files.exists(folder.csv()) && !Files.exists(dir.resolve(PARQUET))) {
                throw new IllegalArgumentException(dir + " holds a " + CSV + " with no " + PARQUET + " beside it, "
                        + "so not one that a Spark trace wrote, and a trace written anew would overwrite it: trace "
                        + "into another folder, or delete it first");
            }
            return folder;
        } catch (RuntimeException e) {
            folder.close();
            throw e;
        }
    }

    Path csv() {
        return dir.resolve(CSV);
    }

    Path dir() {
        return dir;
    }

    /**
     * The settings the folder's trace was recorded with, in the current format ({@link TraceSettings#read}: an
     * earlier format's keys renamed; its {@value TraceSettings#FORMAT} the file's own); empty for a folder with no
     * trace yet.
     *
     * @throws IOException              when the folder holds a trace.csv but no record of its settings, or one of a
     *                                  later format
     * @throws IllegalArgumentException when the folder holds a Spark trace (its trace.parquet)
     */
    Map<String, String> recorded() throws IOException {
        Path meta = dir.resolve(SETTINGS);
        if (Files.exists(dir.resolve(PARQUET))) {
            throw new IllegalArgumentException(dir + " holds a Spark trace's " + PARQUET + ", which a trace resumed "
                    + "here would not match: trace into another folder, or delete that trace first");
        }
        if (!Files.exists(meta)) {
            if (Files.exists(csv())) {
                throw new IOException(csv() + " has no " + meta.getFileName() + " beside it recording what it is a "
                        + "trace of, so it cannot be resumed safely: delete it to start over, or trace into another "
                        + "folder");
            }
            return Map.of();
        }
        Properties have = new Properties();
        try (BufferedReader in = Files.newBufferedReader(meta, StandardCharsets.UTF_8)) {
            have.load(in);
        }
        return TraceSettings.read(have, meta);
    }

    /** Records {@code settings} as the folder's, replacing what it recorded before. */
    void record(Map<String, String> settings) throws IOException {
        Properties want = new Properties();
        want.putAll(settings);
        StringWriter text = new StringWriter();
        want.store(text, "vit4j trace: a restart with the same model, images and options resumes this trace, "
                + "one with more images extends it");
        AtomicFile.writeString(dir.resolve(SETTINGS), text.toString());
    }

    /**
     * Checks that {@code settings} are those the folder's trace was {@link #recorded} with.
     *
     * @throws IllegalArgumentException naming each setting that differs
     */
    void checkSame(Map<String, String> recorded, Map<String, String> settings) {
        Set<String> keys = new LinkedHashSet<>(settings.keySet());
        keys.addAll(recorded.keySet());
        keys.remove(TraceSettings.FORMAT);                     // an earlier format's file is read as this one
        List<String> diff = new ArrayList<>();
        List<DatasetTrace.Setting> differ = new ArrayList<>();
        for (String k : keys) {
            String was = recorded.get(k);
            String now = settings.get(k);
            if (was == null || !was.equals(now)) {
                diff.add(k + " was " + (was == null ? "not recorded" : "'" + was + "'") + ", now "
                        + (now == null ? "not given" : "'" + now + "'"));
                TraceSettings.setting(k).ifPresent(differ::add);
            }
        }
        if (!diff.isEmpty()) {
            String message = dir + " holds a trace made with other arguments: " + String.join("; ", diff)
                    + ". Resume it with the same model, images and DatasetTrace.Options (a larger limit extends it), "
                    + "trace into another folder, or delete " + dir + " to start over";
            throw differ.isEmpty() ? new IllegalArgumentException(message) : new SettingException(message, differ);
        }
    }

    /**
     * Keeps the leading images of trace.csv that have all their rows and drops what a killed run leaves after them
     * (a partly written image, a line cut short), so that the trace goes on from the returned number of complete
     * images; writes the header to a folder with none. A kill only ever cuts the file's end: anything else out of
     * place (a duplicated, missing, malformed or foreign row, text that is not UTF-8, {@code \r\n} line endings an
     * editor wrote) is refused, leaving the file as it is, rather than mixed into the trace or dropped. Lines are
     * counted in bytes as written, so the file is only ever cut back to the end of its last complete image.
     *
     * @param images the images the trace covers
     * @throws IOException naming the line and what is wrong with it
     */
    int keepCompleteImages(List<SweepKind> kinds, int layers, int window, TraceMethod method, int images)
            throws IOException {
        Path csv = csv();
        if (!Files.exists(csv)) {
            AtomicFile.writeString(csv, TraceCsv.HEADER + "\n");
            return 0;
        }
        int rowsPerImage = kinds.size() * layers;
        int complete = 0;
        long keptBytes;                                        // up to the last complete image, with newlines
        try (WholeLines lines = new WholeLines(csv)) {
            Optional<String> header = nextLine(lines, csv);
            if (header.isEmpty()) {                            // killed before the header was whole
                AtomicFile.writeString(csv, TraceCsv.HEADER + "\n");
                return 0;
            }
            if (!header.get().equals(TraceCsv.HEADER)) {
                throw refuse(csv, 1, "'" + header.get() + "' is not the header '" + TraceCsv.HEADER + "'");
            }
            keptBytes = lines.bytes();
            TraceRow first = null;
            for (Optional<String> line = nextLine(lines, csv); line.isPresent(); line = nextLine(lines, csv)) {
                int number = lines.number();
                int inImage = (number - 2) % rowsPerImage;
                TraceRow row;
                try {
                    row = TraceCsv.parse(line.get());
                } catch (IllegalArgumentException e) {
                    throw refuse(csv, number, e.getMessage());
                }
                SweepKind kind = kinds.get(inImage / layers);
                int layer = inImage % layers;
                if (complete >= images) {
                    throw refuse(csv, number, "a row of image " + row.image() + " after all " + images
                            + " images of the trace");
                }
                if (row.image() != complete || row.kind() != kind || row.layer() != layer) {
                    throw refuse(csv, number, "expected the row of image " + complete + ", kind " + kind.label()
                            + ", layer " + layer + " (rows go image by image, in kind and layer order), found image "
                            + row.image() + ", kind " + row.kind().label() + ", layer " + row.layer()
                            + (row.image() < complete ? " again" : ""));
                }
                if (row.window() != window || !row.method().equals(method)) {
                    throw refuse(csv, number, "window " + row.window() + " and method " + row.method()
                            + " where the trace has window " + window + " and method " + method);
                }
                if (inImage == 0) {
                    first = row;
                } else if (row.label() != first.label() || Double.compare(row.pClean(), first.pClean()) != 0
                        || Double.compare(row.pCorrupt(), first.pCorrupt()) != 0) {
                    throw refuse(csv, number, "label, p_clean or p_corrupt of image " + complete + " differ from "
                            + "its first row's");
                }
                if (inImage == rowsPerImage - 1) {
                    complete++;
                    keptBytes = lines.bytes();
                }
            }
        }
        if (keptBytes < Files.size(csv)) {
            try (FileChannel out = FileChannel.open(csv, StandardOpenOption.WRITE)) {
                out.truncate(keptBytes);
            }
        }
        return complete;
    }

    /** Releases the lock. */
    @Override
    public void close() throws IOException {
        lock.close();
    }

    /** The next whole line of trace.csv, refusing one that is not what {@link DatasetTrace} writes. */
    private static Optional<String> nextLine(WholeLines lines, Path csv) throws IOException {
        Optional<String> line;
        try {
            line = lines.next();
        } catch (CharacterCodingException e) {
            throw refuse(csv, lines.number() + 1, "not UTF-8 text");
        }
        if (line.isPresent() && line.get().endsWith("\r")) {
            throw new IOException(csv + " line " + lines.number() + " ends with \\r\\n (Windows line endings, "
                    + "as an editor may write on saving it) where a trace writes \\n alone: resuming would cut it "
                    + "at the wrong bytes or mix the two endings, so it is left as it is. Convert it back to \\n "
                    + "line endings (e.g. dos2unix) to resume it, delete it (or its folder) to start over, or trace "
                    + "into another folder");
        }
        return line;
    }

    private static IOException refuse(Path csv, int line, String what) {
        return new IOException(csv + " line " + line + ": " + what + ". A killed trace only ever leaves its last "
                + "image unfinished, so this file was edited or written by two traces at once, and resuming would mix "
                + "or drop rows: delete it (or its folder) to start over, or trace into another folder");
    }
}

package io.github.vit4j.embed;

import io.github.vit4j.format.AtomicFile;
import io.github.vit4j.format.FolderLock;
import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * The partial folder of an {@link EmbeddingRun}, {@code FILE.partial/} beside its output {@code FILE}, held by one
 * run: {@value #LOCK} (locked), {@value #SETTINGS} (what the rows are made of), {@value #VALUES} (the rows so far:
 * little-endian float32, row after row) and {@value #INDEX} (a line per row: index, label and name, tab-separated,
 * the name's backslashes, tabs and line breaks escaped).
 */
final class EmbeddingFolder implements AutoCloseable {

    static final String LOCK = "embed.lock";
    static final String SETTINGS = "embed.meta.properties";
    static final String VALUES = "values.f32";
    static final String INDEX = "index.tsv";

    private final Path out;
    private final Path dir;
    private final int width;
    private final FolderLock lock;
    private int next;
    private boolean finished;

    private EmbeddingFolder(Path out, Path dir, int width, FolderLock lock) {
        this.out = out;
        this.dir = dir;
        this.width = width;
        this.lock = lock;
    }

    /** The partial folder of the output {@code out}. */
    static Path of(Path out) {
        Path name = out.getFileName();
        if (name == null) {
            throw new IllegalArgumentException("output " + out + " names no file; give a file such as emb.npy");
        }
        return out.resolveSibling(name + ".partial");
    }

    /**
     * Creates the partial folder of {@code out} if needed and takes its lock.
     *
     * @throws IOException at once when another run is writing to {@code out}
     */
    static EmbeddingFolder open(Path out, int width) throws IOException {
        Path dir = of(out);
        return new EmbeddingFolder(out, dir, width, FolderLock.take(dir, LOCK, "embedding run", "one output takes "
                + "one run at a time: wait for that run to finish, or write to another file"));
    }

    /**
     * Records {@code settings} in a new folder, or checks them against those recorded, and keeps the complete
     * batches of the rows there.
     *
     * @return the images done: a multiple of {@code batch}, or {@code n}
     * @throws IllegalArgumentException naming each setting that differs from those recorded
     */
    int resume(Map<String, String> settings, int batch, int n) throws IOException {
        Path meta = dir.resolve(SETTINGS);
        if (!Files.exists(meta)) {
            Properties want = new Properties();
            want.putAll(settings);
            StringWriter text = new StringWriter();
            want.store(text, "vit4j embed: a restart with the same model, images and options resumes this run");
            Files.deleteIfExists(dir.resolve(VALUES));
            Files.deleteIfExists(dir.resolve(INDEX));
            Files.createFile(dir.resolve(VALUES));
            Files.createFile(dir.resolve(INDEX));
            AtomicFile.writeString(meta, text.toString());      // last: a kill before it leaves a fresh folder
            return 0;
        }
        for (String file : List.of(VALUES, INDEX)) {            // a kill between those steps in an older vit4j
            if (!Files.exists(dir.resolve(file))) {
                Files.createFile(dir.resolve(file));
            }
        }
        Properties have = new Properties();
        try (BufferedReader in = Files.newBufferedReader(meta, StandardCharsets.UTF_8)) {
            have.load(in);
        }
        checkSame(have, settings);
        int complete = (int) Math.min(Files.size(dir.resolve(VALUES)) / (4L * width), n);
        long[] ends = lineEnds(complete);                      // ends[i]: bytes of the first i whole lines
        complete = Math.min(complete, ends.length - 1);
        next = complete >= n ? n : complete - complete % batch;
        truncate(dir.resolve(VALUES), 4L * next * width);
        truncate(dir.resolve(INDEX), ends[next]);
        return next;
    }

    /** Refuses a run whose settings differ from {@code recorded}, naming each that differs. */
    private void checkSame(Properties recorded, Map<String, String> settings) {
        Set<String> keys = new LinkedHashSet<>(settings.keySet());
        keys.addAll(recorded.stringPropertyNames());
        List<String> diff = new ArrayList<>();
        for (String k : keys) {
            String was = recorded.getProperty(k);
            String now = settings.get(k);
            if (was == null || !was.equals(now)) {
                diff.add(k + " was " + (was == null ? "not recorded" : "'" + was + "'") + ", now "
                        + (now == null ? "not given" : "'" + now + "'"));
            }
        }
        if (!diff.isEmpty()) {
            throw new IllegalArgumentException(dir + " holds a partial embedding of " + out + " made with other "
                    + "arguments: " + String.join("; ", diff) + ". Resume it with the same model, images and "
                    + "EmbeddingRun.Options, write to another file, or delete " + dir + " to start over");
        }
    }

    /**
     * The byte offsets after each of the index's first whole lines, up to {@code most} lines, starting with 0;
     * each line checked to be the row of its index.
     */
    private long[] lineEnds(int most) throws IOException {
        Path index = dir.resolve(INDEX);
        List<Long> ends = new ArrayList<>(List.of(0L));
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        long position = 0;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(index))) {
            for (int b = in.read(); b >= 0 && ends.size() <= most; b = in.read()) {
                position++;
                if (b == '\n') {
                    parseIndexLine(line.toString(StandardCharsets.UTF_8), ends.size() - 1, index);
                    ends.add(position);
                    line.reset();
                } else {
                    line.write(b);
                }
            }
        }
        return ends.stream().mapToLong(Long::longValue).toArray();
    }

    private static void truncate(Path file, long size) throws IOException {
        if (Files.size(file) > size) {
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
                channel.truncate(size);
            }
        }
    }

    /**
     * Appends a batch's rows and index lines, names from {@code names} (the source's, by index).
     *
     * @throws IllegalStateException for a batch that is not the next one or of another width
     */
    void append(Embedded batch, List<String> names) throws IOException {
        if (batch.first() != next || batch.width() != width) {
            throw new IllegalStateException("a batch of width " + batch.width() + " from image " + batch.first()
                    + " came where the run expects width " + width + " from image " + next + "; a Compute hands "
                    + "the batches in order");
        }
        float[] values = batch.values();
        ByteBuffer bytes = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values);
        Files.write(dir.resolve(VALUES), bytes.array(), StandardOpenOption.APPEND);
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < batch.size(); i++) {
            int index = batch.first() + i;
            lines.append(index).append('\t').append(batch.label(i)).append('\t').append(escape(names.get(index)))
                    .append('\n');
        }
        Files.writeString(dir.resolve(INDEX), lines, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        next += batch.size();
    }

    /** Has {@code writer} write the output from the {@code n} rows, then removes the partial files. */
    void finish(EmbeddingWriter writer, int n) throws IOException {
        if (next != n) {
            throw new IllegalStateException("the run holds " + next + " of its " + n + " images; every image must be "
                    + "embedded before the output is written");
        }
        writer.write(out, new EmbeddingTable(dir.resolve(VALUES), dir.resolve(INDEX), n, width));
        for (String file : List.of(SETTINGS, VALUES, INDEX)) {
            Files.deleteIfExists(dir.resolve(file));
        }
        finished = true;
    }

    /** The fields {index, label, name} of the index's line for image {@code expected}. */
    static String[] parseIndexLine(String line, int expected, Path file) throws IOException {
        String[] f = line == null ? new String[0] : line.split("\t", 3);
        if (f.length != 3 || !f[0].equals(Integer.toString(expected)) || !isInt(f[1])) {
            throw new IOException(file + " line " + (expected + 1) + ": '" + line + "' is not the row of image "
                    + expected + " (index, label, name); a killed run only ever cuts the file's end, so it was "
                    + "edited or written by two runs: delete " + file.getParent() + " to start over");
        }
        return f;
    }

    private static boolean isInt(String text) {
        if (!text.matches("-?[0-9]+")) {
            return false;
        }
        try {
            Integer.parseInt(text);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    static String escape(String name) {
        return name.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r");
    }

    static String unescape(String text) {
        StringBuilder s = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\' && i + 1 < text.length()) {
                char e = text.charAt(++i);
                s.append(e == 't' ? '\t' : e == 'n' ? '\n' : e == 'r' ? '\r' : e);
            } else {
                s.append(c);
            }
        }
        return s.toString();
    }

    /** Releases the lock; a finished run's folder is removed with it. */
    @Override
    public void close() throws IOException {
        if (finished) {
            Files.deleteIfExists(dir.resolve(LOCK));            // while held: a run that waits finds no folder
        }
        lock.close();
        if (finished) {
            try {
                Files.deleteIfExists(dir);
            } catch (DirectoryNotEmptyException e) {
                // another run took the folder since, or a user put a file there: it stays
            }
        }
    }
}

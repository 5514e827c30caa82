package io.github.vit4j.trace;

import java.io.File;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.net.URISyntaxException;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

/**
 * Another process's view of a lock file, for the lock tests: the main class of a child JVM that either tries the
 * lock once ({@code try FILE}: prints {@code free} when it got it, {@code held} when another process holds it) or
 * takes it and holds it until its standard input closes ({@code hold FILE}: prints {@code locked} once it has it).
 */
final class LockProbe {

    private LockProbe() {
    }

    public static void main(String[] args) throws IOException {
        try (FileChannel channel = FileChannel.open(Path.of(args[1]), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE)) {
            if (args[0].equals("try")) {
                System.out.println(channel.tryLock() == null ? "held" : "free");
                return;
            }
            try (FileLock lock = channel.lock()) {
                System.out.println("locked");
                System.out.flush();
                while (System.in.read() != -1) {
                    // held until the parent closes our input
                }
            }
        }
    }

    /** What another process finds when it tries {@code file}'s lock: {@code free} or {@code held}. */
    static String tryFrom(Path file) throws IOException, InterruptedException {
        Process p = child("try", file).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String said = new String(p.getInputStream().readAllBytes()).strip();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        return said;
    }

    /** A child process holding {@code file}'s lock until it is closed. */
    static Holder holdFrom(Path file) throws IOException {
        Process p = child("hold", file).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        byte[] line = p.getInputStream().readNBytes("locked".length());
        if (!new String(line).equals("locked")) {
            p.destroyForcibly();
            throw new IOException("the lock holder did not lock " + file + ": '" + new String(line) + "'");
        }
        return new Holder(p);
    }

    /** A process holding a lock; closing it ends the process, releasing the lock. */
    record Holder(Process process) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            process.getOutputStream().close();
            try {
                if (!process.waitFor(60, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static ProcessBuilder child(String mode, Path file) {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        String classes;
        try {
            classes = Path.of(LockProbe.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        return new ProcessBuilder(java, "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp", classes,
                LockProbe.class.getName(), mode, file.toString());
    }
}

package io.github.vit4j.spark;

import io.github.vit4j.embed.EmbeddingTable;
import io.github.vit4j.embed.EmbeddingWriter;
import io.github.vit4j.format.AtomicFile;
import io.github.vit4j.image.ImageSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/** {@link ParquetEmbeddings#of()}: the writer, with parquet-java's types. */
final class ParquetEmbeddingFile implements EmbeddingWriter {

    /** The file's schema, with a label column or without. */
    static MessageType schema(boolean labelled) {
        return MessageTypeParser.parseMessageType("message embeddings {\n"
                + "  required int64 index;\n"
                + "  required binary name (STRING);\n"
                + (labelled ? "  optional int32 label;\n" : "")
                + "  required group embedding (LIST) {\n"
                + "    repeated group list {\n"
                + "      required float element;\n"
                + "    }\n"
                + "  }\n"
                + "}\n");
    }

    @Override
    public void write(Path target, EmbeddingTable table) throws IOException {
        boolean labelled = table.labelled();
        MessageType schema = schema(labelled);
        SimpleGroupFactory groups = new SimpleGroupFactory(schema);
        Path absolute = target.toAbsolutePath();
        Path tmp = Files.createFile(absolute.resolveSibling("." + absolute.getFileName() + "." + UUID.randomUUID()
                + ".tmp"));                                    // the usual permissions, as AtomicFile's files
        try {
            try (ParquetWriter<Group> writer = ExampleParquetWriter.builder(new LocalOutputFile(tmp))
                    .withType(schema).withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                    .withCompressionCodec(CompressionCodecName.SNAPPY).build()) {
                table.forEach((index, name, label, embedding) -> {
                    Group row = groups.newGroup().append("index", (long) index).append("name", name);
                    if (labelled && label != ImageSource.UNKNOWN_LABEL) {
                        row.append("label", label);
                    }
                    Group list = row.addGroup("embedding");
                    for (float v : embedding) {
                        list.addGroup("list").append("element", v);
                    }
                    writer.write(row);
                });
            }
            AtomicFile.moveDurably(tmp, target);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}

/**
 * The text side of CLIP: {@link io.github.vit4j.text.ClipTokenizer}, OpenAI's byte-level BPE read from a model's
 * {@code vocab.json} and {@code merges.txt}, giving the ids of {@code clip.tokenize}. Reading order:
 * {@code ClipTokenizer} (the API and what it matches), {@code ClipTextCleaning} (what a text goes through before
 * BPE), {@code HtmlUnescape}, {@code BytePairMerges} (the merges themselves), {@code ClipVocabularyFiles} (the
 * files and their limits).
 */
package io.github.vit4j.text;

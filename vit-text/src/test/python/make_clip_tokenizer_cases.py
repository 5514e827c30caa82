"""Ground truth for ClipTokenizerCasesTest: the ids of a few hundred strings from the real tokenizers.

Not run by the build. Made with (Python 3.11.2, Debian bookworm):
    git clone https://github.com/openai/CLIP /tmp/clip/CLIP   # commit d05afc4 (clip/simple_tokenizer.py)
    python3 -m venv --system-site-packages /tmp/clip/venv
    /tmp/clip/venv/bin/pip install ftfy==6.3.1 regex==2026.9.29 tokenizers==0.23.2 transformers==5.17.0
    /tmp/clip/venv/bin/python vit-text/src/test/python/make_clip_tokenizer_cases.py /tmp/clip/CLIP \
        ../shared/models/families/clip-tiny vit-text/src/test/resources/io/github/vit4j/text/clip_tokenizer_cases.jsonl

It also writes python_unicode_tables.txt beside the cases: what Python says of every code point, for
ClipTextCleaningTest (lines "class FIRST LAST L|N|S|O": runs of code points that the regex module's [\p{L}], [\p{N}],
\s or none of them match; "lower CP MAPPING...": str.lower() where it changes the character; "unassigned FIRST LAST":
runs that Python's unicodedata does not know; all in hex).

One JSON object per line:
  text         the input string
  openai       OpenAI's SimpleTokenizer.encode(text): the BPE ids without start and end tokens (ftfy included)
  nfc          the same tokenizer with ftfy.fix_text replaced by nfc() below (lone surrogates to U+FFFD, then
               Unicode NFC): what vit4j's ClipTokenizer computes (it has no ftfy)
  hf           Hugging Face's CLIPTokenizer (the tokenizers-backed one of transformers 5: NFC, no HTML unescaping)
               with add_special_tokens=False (null where it refuses the text); for information only
  ftfy_changes whether ftfy.fix_text(text) differs from nfc(text)
  decoded      SimpleTokenizer.decode(nfc); decoded_first: the same of the first id alone (often part of a character)
  row          for strings of more than 75 ids only: clip.tokenize([text], 77, truncate=True)[0] as a list (the
               function's lines below, without torch)
"""
import importlib.util
import json
import random
import sys
import unicodedata

import ftfy
import regex
import tokenizers
import transformers

clip_dir, model_dir, out_path = sys.argv[1:4]
spec = importlib.util.spec_from_file_location("simple_tokenizer", f"{clip_dir}/clip/simple_tokenizer.py")
st = importlib.util.module_from_spec(spec)
spec.loader.exec_module(st)
openai = st.SimpleTokenizer(f"{clip_dir}/clip/bpe_simple_vocab_16e6.txt.gz")


def nfc(text):  # vit4j's stand-in for ftfy.fix_text: lone surrogates become U+FFFD (as ftfy does), then NFC
    return unicodedata.normalize("NFC", regex.sub("[\ud800-\udfff]", "\ufffd", text))


def nfc_encode(text):
    real = st.ftfy.fix_text
    st.ftfy.fix_text = nfc
    try:
        return openai.encode(text)
    finally:
        st.ftfy.fix_text = real


def tokenize_row(text, context_length=77):  # clip.clip.tokenize, truncate=True, one text
    sot_token = openai.encoder["<|startoftext|>"]
    eot_token = openai.encoder["<|endoftext|>"]
    tokens = [sot_token] + openai.encode(text) + [eot_token]
    if len(tokens) > context_length:
        tokens = tokens[:context_length]
        tokens[-1] = eot_token
    return tokens + [0] * (context_length - len(tokens))


hf = transformers.CLIPTokenizer.from_pretrained(model_dir)


def hf_encode(text):
    try:
        return hf(text, add_special_tokens=False).input_ids
    except (UnicodeEncodeError, TypeError):  # a lone surrogate cannot cross into Rust
        return None

texts = [
    # plain prompts
    "a photo of a cat.", "a photo of a dog", "A Photo Of A Cat", "a photo of a {}.", "an image of a tabby cat",
    "a blurry photo of a horse.", "a photo of the sky's stripes.", "itap of a cup.", "a bad photo of the car.",
    "a origami bird.", "a photo of the large plane.", "a sculpture of a mushroom.", "a cropped photo of a lemon.",
    "photosynthesis", "antidisestablishmentarianism", "pneumonoultramicroscopicsilicovolcanoconiosis",
    "lower", "lowest", "newer", "wider", "hello world", "Hello, World!", "HELLO WORLD", "hElLo WoRlD",
    "the quick brown fox jumps over the lazy dog", "THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG",
    "a", "I", "x", "ab", "zz", "qwertyuiop", "asdfghjkl", "zxcvbnm", "xkcd", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    # empty and whitespace
    "", " ", "   ", "\t", "\n", "\r\n", " \t\n ", "\u00a0", "\u3000", "\u2003", "\u2028", "\u0085", "\x0b\x0c",
    "\x1c\x1d\x1e\x1f", "a\x1cb", "\x1ca photo\x1f", "  leading spaces", "trailing spaces   ", "  both  ",
    "tabs\tbetween\twords", "new\nlines\nhere", "windows\r\nline\r\nends", "many     spaces   inside",
    "non\u00a0breaking\u00a0space", "ideographic\u3000space", "zero\u200bwidth\u200bspace", "word\u2060joiner",
    "soft\u00adhyphen", "byte\ufefforder mark", "\ufeffstarts with BOM", "en\u2002space", "thin\u2009space",
    "narrow\u202fnbsp", "ogham\u1680space", "mongolian\u180evowel",
    # apostrophes and contractions
    "it's", "It's", "IT'S", "it'S", "don't", "DON'T", "we're", "WE'RE", "they've", "I'm", "I'M", "we'll",
    "WE'LL", "he'd", "HE'D", "the cat's toy", "the cats' toys", "'s", "'S", "'t", "'re", "'ve", "'m", "'ll",
    "'d", "''s", "'''", "rock 'n' roll", "o'clock", "O'Brien", "'quoted'", "\"double quoted\"",
    "it\u2019s", "don\u2019t", "the cat\u2019s toy", "\u2018single curly\u2019", "\u201cdouble curly\u201d",
    "it\u02bcs", "it`s", "it\u00b4s", "'\u017f", "x'\u017f", "'\u212a", "can't've", "y'all'd've",
    "'\u017fe", "<|\u017ftartoftext|>", "a\u0345b", "\u0345", "\u1fb3", "\u0391\u0345", "'sss", "'tis", "'twas", "'reading'", "'very'", "'mm", "'llama", "'dd",
    # digits and numbers
    "0", "7", "42", "123", "2024", "1234567890", "3.14", "3.14159265358979", "1,000", "1,000,000", "-5",
    "+7", "1e10", "0x1F", "50%", "$9.99", "\u20ac12,50", "\u00a3100", "\u00a5500", "10:30", "12/31/2024",
    "2024-12-31", "v1.2.3", "iPhone 15", "COVID-19", "4K", "1080p", "3D", "2nd", "21st", "100km/h",
    "\u0661\u0662\u0663", "\u0967\u0968\u0969", "\u2460\u2461\u2462", "\u00bd", "\u00b2", "x\u00b2",
    "\u2167", "\uff11\uff12\uff13", "\u4e00\u4e8c\u4e09", "\U0001d7d9",
    # accents, NFC vs NFD
    "caf\u00e9", "cafe\u0301", "CAF\u00c9", "CAFE\u0301", "na\u00efve", "nai\u0308ve", "r\u00e9sum\u00e9",
    "re\u0301sume\u0301", "\u00c5ngstr\u00f6m", "A\u030angstro\u0308m", "\u212bngstr\u00f6m", "pi\u00f1ata",
    "pin\u0303ata", "Stra\u00dfe", "STRASSE", "\u1e9e", "\u00e7a va", "\u0105\u0119\u017c\u0142",
    "\u0161\u010d\u0159\u017e", "\u00f8\u00e6\u00e5", "\u0131stanbul", "\u0130stanbul", "\u0130", "I\u0307",
    "\u01c5", "\u01c4", "\u1f88", "\u0390", "\u00df", "\ufb01ne", "\ufb00", "\ufb03",
    "\u00e9\u0301", "a\u0300\u0301\u0302\u0303", "\u0301starts with combining", "e\u0327\u0301",
    "\u1e0d\u0307", "d\u0323\u0307", "d\u0307\u0323", "\uac00", "\u1100\u1161", "\u1100\u1161\u11a8",
    "Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319\u0324\u031e\u0349\u035a\u032f\u031e\u0320\u034dalgo",
    # Greek, sigma, Cyrillic
    "\u0391\u0398\u0397\u039d\u0391", "\u039f\u0394\u039f\u03a3", "\u039f\u0394\u039f\u03a3.", "\u03a3",
    "\u03a3\u03a3", "\u0391\u03a3", "\u0391\u03a3 \u0391\u03a3", "\u03a3\u0391", "\u0391\u03a3\u0391",
    "\u0391\u03a3'\u0391", "\u0391\u03a3\u0301", "\u0391\u03a3\u00ad", "\u03c3\u03c2", "\u0391.\u03a3",
    "\u041c\u041e\u0421\u041a\u0412\u0410", "\u043f\u0440\u0438\u0432\u0435\u0442 \u043c\u0438\u0440",
    "\u0401\u043b\u043a\u0430", "\u0415\u0308\u043b\u043a\u0430", "\u0423\u043a\u0440\u0430\u0457\u043d\u0430",
    # CJK, Japanese, Korean
    "\u732b", "\u4e00\u53ea\u732b\u7684\u7167\u7247", "\u732b\u306e\u5199\u771f", "\u30cd\u30b3",
    "\uff8c\uff9f\uff97\uff9d", "\u3053\u3093\u306b\u3061\u306f\u4e16\u754c", "\uace0\uc591\uc774 \uc0ac\uc9c4",
    "\ud55c\uad6d\uc5b4", "\u6771\u4eac\u30bf\u30ef\u30fc", "\uff21\uff22\uff23", "\uff41\uff42\uff43",
    "\u3002\u3001\uff01", "\U00020000", "\U0002a6d6",
    # Arabic, Hebrew, Devanagari, Thai, others
    "\u0642\u0637\u0629", "\u0635\u0648\u0631\u0629 \u0642\u0637\u0629", "\u0627\u0644\u0633\u0644\u0627\u0645 \u0639\u0644\u064a\u0643\u0645",
    "\u0645\u064e\u0631\u0652\u062d\u064e\u0628\u064b\u0627", "\u05d7\u05ea\u05d5\u05dc",
    "\u05e9\u05b8\u05c1\u05dc\u05d5\u05b9\u05dd", "\u092c\u093f\u0932\u094d\u0932\u0940",
    "\u0928\u092e\u0938\u094d\u0924\u0947", "\u0915\u094d\u0937", "\u0926\u0947\u0935\u0928\u093e\u0917\u0930\u0940",
    "\u0e41\u0e21\u0e27", "\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35", "\u10d9\u10d0\u10e2\u10d0", "\u0561\u057f\u0578\u0582",
    "\u1403\u14c4\u1483\u144e\u1450\u1466", "\u0f56\u0f7c\u0f51", "\u1780\u17d2\u1798\u17c2\u179a",
    "\u0627\u0644\u0639\u0631\u0628\u064a\u0629 123", "mixed \u0639\u0631\u0628\u064a English",
    "\u200fright to left mark", "\u200ezwnj\u200ctest", "\u0915\u200d\u094d",
    # emoji
    "\U0001f431", "\U0001f431\U0001f436", "a \U0001f431 cat", "\U0001f44d", "\U0001f44d\U0001f3fd",
    "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466", "\U0001f3f3\ufe0f\u200d\U0001f308",
    "\u2764\ufe0f", "\u2764", "\U0001f1eb\U0001f1f7", "\U0001f1fa\U0001f1f8\U0001f1ef\U0001f1f5",
    "\U0001f9d1\U0001f3ff\u200d\U0001f4bb", "\U0001f600\U0001f600\U0001f600", "cat\U0001f431dog",
    "#\ufe0f\u20e3", "1\ufe0f\u20e3", "\u263a", "\u263a\ufe0f", "\U0001f926\u200d\u2642\ufe0f",
    "\U0001f525\U0001f525 hot", ":)", ":-(", "<3", "\u00af\\_(\u30c4)_/\u00af", "(\u256f\u00b0\u25a1\u00b0)\u256f\ufe35 \u253b\u2501\u253b",
    # punctuation and symbols
    "!", "!!", "!!!", "?!", "...", "\u2026", "--", "\u2014", "\u2013", "a-b", "a_b", "a/b", "a\\b", "a|b",
    "@user", "#hashtag", "#1", "a&b", "a & b", "1+1=2", "x^2", "~tilde", "[brackets]", "{braces}", "(parens)",
    "<tag>", "</w>", "a</w>", "<|startoftext|>", "<|endoftext|>", "hello<|endoftext|>world",
    "<|ENDOFTEXT|>", "<|startoftext|>a photo<|endoftext|>", "<|endoftext", "<|", "|>", "\u00a9 2024",
    "\u00ae\u2122", "\u00a7 1", "\u00b6", "\u2022 bullet", "\u2192 arrow", "\u221e", "\u2211\u222b", "\u00b0C",
    "\u2103", "\u00bfqu\u00e9?", "\u00a1hola!", "\u00abguillemets\u00bb", "\u201e\u201c", "\u2039\u203a",
    # HTML entities
    "&amp;", "&amp;amp;", "&amp;amp;amp;", "&lt;b&gt;", "&quot;hi&quot;", "caf&eacute;", "&nbsp;", "a&nbsp;b",
    "&#x27;", "it&#x27;s", "it&#39;s", "&#39;S", "&hellip;", "&mdash;", "&copy; 2024", "&euro;5", "&apos;",
    "&amp", "&ampfoo", "&amp foo", "&eacute", "&eacutex", "&notit;", "&notin;", "&noti", "&NotEqualTilde;",
    "&NewLine;", "&Tab;", "&bogus;", "&;", "&#;", "&#x;", "&#65;", "&#65", "&#x41;", "&#X41;", "&#0;",
    "&#128;", "&#150;", "&#x80;", "&#x9F;", "&#1;", "&#x7F;", "&#xD800;", "&#x110000;", "&#99999999999;",
    "&#xFFFE;", "&#xFDD0;", "&#13;", "&#x1F600;", "&#128512;", "&lt;|endoftext|&gt;", "AT&amp;T",
    "Tom &amp; Jerry", "&AMP;", "&Amp;", "&AElig;", "&aelig;", "&ohm;", "&fjlig;", "&ngE;", "&nvlt;",
    "&lt;&lt;&lt;", "&amp;lt;", "&amp;#39;", "&&amp;", "& amp;", "&#x26;amp;", "&#38;#38;",
    # mojibake and ftfy territory
    "caf\u00c3\u00a9", "\u00c3\u00a9t\u00c3\u00a9", "Ã\u00a0 la carte", "â€œquotedâ€\u009d", "donâ€™t",
    "\u00e2\u0080\u0099", "The Mona Lisa doesn\u00c3\u00a2\u00e2\u201a\u00ac\u00e2\u201e\u00a2t have eyebrows.",
    "\u00ef\u00bb\u00bfbom", "sch\u00c3\u00b6n", "\u00c3\u00bcber", "Ãœber", "\u00d0\u009f\u00d1\u0080\u00d0\u00b8\u00d0\u00b2\u00d0\u00b5\u00d1\u0082",
    "\x1b[36mcolored\x1b[0m", "bell\x07char", "null\x00char", "c1\u0080control", "del\x7fchar",
    "\ufffd", "replacement \ufffd char", "\ud83d", "lone\udc00surrogate",
    # URLs, code, paths
    "https://example.com/path?q=1&x=2", "http://www.google.com", "www.openai.com", "user@example.com",
    "C:\\Users\\me\\file.txt", "/usr/bin/python3", "snake_case_name", "camelCaseName", "PascalCaseName",
    "kebab-case-name", "def f(x): return x**2", "for (int i = 0; i < n; i++) {}", "SELECT * FROM t;",
    "<a href=\"x\">link</a>", "<b>bold</b> &amp; <i>italic</i>", "#ff00ff", "rgb(255, 0, 0)",
    # longer captions
    "A man riding a wave on top of a surfboard.", "Two dogs playing in the snow near a red barn.",
    "a close-up photo of a vintage 1960s Volkswagen Beetle, parked on a cobblestone street in Lisbon",
    "an oil painting of a lighthouse at dusk, in the style of Turner",
    "a photo of a \u201cStop\u201d sign & a \u2018Yield\u2019 sign \u2014 both bent.",
]

# >75 ids: truncation (the same repeated word, a long sentence, many numbers, many emoji, CJK)
texts += [
    " ".join(["cat"] * 80), " ".join(["photo"] * 76), " ".join(["word"] * 75), " ".join(["word"] * 74),
    " ".join(str(i) for i in range(60)), "\U0001f431" * 40, "\u732b" * 50,
    "a photo of " + ", ".join(f"thing number {i}" for i in range(30)),
    "This is a very long caption that keeps going and going, describing every detail of the image: " * 3,
]

# combinations: words x punctuation x case
rng = random.Random(20)
words = ["cat", "Dog", "TREE", "caf\u00e9", "na\u00efve", "\u732b", "\u0642\u0637\u0629", "it's", "42", "3.5", "x"]
puncts = ["", ".", ",", "!", "?", "'s", "\u2019s", "...", "-", " ", "  "]
for w in words:
    texts.append(w + rng.choice(puncts) + w.upper() + rng.choice(puncts))
    texts.append(rng.choice(puncts) + w.title() + rng.choice(puncts) + w)

# random strings from chosen blocks (seeded)
blocks = [(0x20, 0x7e), (0xa0, 0x17f), (0x370, 0x3ff), (0x400, 0x4ff), (0x590, 0x6ff), (0x900, 0x97f),
          (0x3040, 0x30ff), (0x4e00, 0x4eff), (0xac00, 0xacff), (0x1f300, 0x1f5ff), (0x2000, 0x206f),
          (0x300, 0x36f)]
for _ in range(80):
    n = rng.randint(1, 12)
    chars = []
    for _ in range(n):
        lo, hi = rng.choice(blocks)
        chars.append(chr(rng.randint(lo, hi)))
    texts.append("".join(chars))

seen = set()
with open(out_path, "w", encoding="utf-8") as out:
    out.write(json.dumps({"versions": {"python": sys.version.split()[0], "ftfy": ftfy.__version__,
                                       "regex": regex.__version__, "tokenizers": tokenizers.__version__,
                                       "transformers": transformers.__version__,
                                       "unicodedata": unicodedata.unidata_version}}) + "\n")
    for text in texts:
        if text in seen:
            continue
        seen.add(text)
        ids = openai.encode(text)
        case = {"text": text, "openai": ids, "nfc": nfc_encode(text),
                "hf": hf_encode(text), "ftfy_changes": ftfy.fix_text(text) != nfc(text)}
        case["decoded"] = openai.decode(case["nfc"])
        case["decoded_first"] = openai.decode(case["nfc"][:1])
        if len(ids) > 75:
            case["row"] = tokenize_row(text)
        out.write(json.dumps(case, ensure_ascii=True) + "\n")
print(len(seen), "strings")


tables_path = out_path.rsplit("/", 1)[0] + "/python_unicode_tables.txt"
letter, digit, space = regex.compile(r"[\p{L}]"), regex.compile(r"[\p{N}]"), regex.compile(r"\s")


def runs(key):
    start, current = 0, key(0)
    for cp in range(1, 0x110000):
        k = key(cp)
        if k != current:
            yield start, cp - 1, current
            start, current = cp, k
    yield start, 0x10FFFF, current


def char_class(cp):
    c = chr(cp)
    return "L" if letter.match(c) else "N" if digit.match(c) else "S" if space.match(c) else "O"


with open(tables_path, "w", encoding="ascii") as out:
    out.write(f"# Python {sys.version.split()[0]} (unicodedata {unicodedata.unidata_version}), regex {regex.__version__}\n")
    for first, last, k in runs(char_class):
        out.write(f"class {first:x} {last:x} {k}\n")
    for first, last, k in runs(lambda cp: unicodedata.category(chr(cp)) == "Cn"):
        if k:
            out.write(f"unassigned {first:x} {last:x}\n")
    for cp in range(0x110000):
        lower = chr(cp).lower()
        if lower != chr(cp):
            out.write(f"lower {cp:x} " + " ".join(f"{ord(x):x}" for x in lower) + "\n")

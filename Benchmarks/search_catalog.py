#!/usr/bin/env python3
"""A 30,000-sticker catalog with words people search for, and the queries to search it with.

1,000 published packs of 30 stickers. Each sticker has 1–2 emoji out of 150 (a fifth with a skin tone), three
English keywords out of a 3,000-word vocabulary, keywords in zh-Hans (two-character words) and ru, and a
two-to-three-word label; each pack an English, Chinese and Russian title, an English description and two tags.
The same seed gives the same catalog and queries every run.

    Benchmarks/search_catalog.py sql > /tmp/search-catalog.sql      # then: psql "$DATABASE_URL" -f /tmp/search-catalog.sql
    Benchmarks/search_catalog.py queries > /tmp/search-queries.json # {"one": [...], "few": [...], "emoji": [...]}

The SQL reuses the seed's images (run `catalog-service seed` first), like large-catalog.sql.
"""
import json
import random
import sys

SYLLABLES = ["ka", "lo", "mi", "ra", "ne", "to", "shi", "ban", "dor", "el", "fu", "gri", "hap", "jo", "kit", "lu", "mor",
             "nap", "pi", "qua", "rus", "sal", "tem", "ur", "vin", "wa", "xo", "yel", "zu", "cat", "dog", "sun", "fun"]
HAN = "猫狗爱心笑哭好开生日快乐晚安早上谢谢你我他她们吃饭睡觉工作学习朋友家人天气下雨太阳月亮星星花草树木山水海风"
CYRILLIC = ["при", "вет", "кот", "сол", "нце", "люб", "овь", "смех", "дом", "мир", "ра", "до", "сть", "ночь", "день"]
EMOJI = [chr(c) for c in range(0x1F600, 0x1F650)] + [chr(c) for c in range(0x1F400, 0x1F43F)] + ["❤️", "👍", "👋", "🙏", "👏", "🎉", "🔥", "✨", "☕", "🇯🇵", "🇧🇷", "1️⃣", "👨‍👩‍👧"]
TONES = ["\U0001F3FB", "\U0001F3FC", "\U0001F3FD", "\U0001F3FE", "\U0001F3FF"]
TONEABLE = ["👍", "👋", "🙏", "👏"]


def catalog(rng):
    vocabulary = sorted({"".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))) for _ in range(3400)})[:3000]
    han_words = ["".join(rng.sample(HAN, 2)) for _ in range(800)]
    ru_words = ["".join(rng.choice(CYRILLIC) for _ in range(2)) for _ in range(600)]
    packs = []
    for p in range(1, 1001):
        pid = f"search-{p:04d}"
        stickers = []
        for s in range(30):
            emojis = []
            for _ in range(rng.choice([1, 1, 2])):
                emoji = rng.choice(EMOJI)
                if emoji in TONEABLE and rng.random() < 0.5:
                    emoji += rng.choice(TONES)
                if emoji not in emojis:
                    emojis.append(emoji)
            stickers.append({
                "id": f"{pid}-s{s}", "emojis": emojis, "keywords": rng.sample(vocabulary, 3),
                "localized": {"zh-Hans": rng.sample(han_words, 2), "ru": [rng.choice(ru_words)]},
                "label": " ".join(rng.sample(vocabulary, rng.randint(2, 3))),
            })
        packs.append({
            "id": pid, "title": {"en": " ".join(rng.sample(vocabulary, 2)).title(), "zh-Hans": rng.choice(han_words), "ru": rng.choice(ru_words).title()},
            "description": {"en": " ".join(rng.sample(vocabulary, 5))}, "tags": rng.sample(vocabulary, 2), "stickers": stickers,
        })
    return vocabulary, han_words, ru_words, packs


def sql(packs):
    def literal(text):
        return "'" + text.replace("'", "''") + "'"

    def array(items):
        return "ARRAY[" + ",".join(literal(i) for i in items) + "]::text[]" if items else "'{}'::text[]"
    out = ["BEGIN;", "CREATE TEMP TABLE tray AS SELECT sha256 FROM assets WHERE width = 96 ORDER BY sha256 LIMIT 1;",
           "CREATE TEMP TABLE image AS SELECT sha256 FROM assets WHERE width = 512 AND frame_count = 1 ORDER BY sha256 LIMIT 1;"]
    for position, pack in enumerate(packs):
        out.append("INSERT INTO sticker_packs (id, title, description, publisher, tray_sha256, status, position, animated, tags) VALUES ("
                   f"{literal(pack['id'])}, {literal(json.dumps(pack['title'], ensure_ascii=False))}::jsonb, "
                   f"{literal(json.dumps(pack['description'], ensure_ascii=False))}::jsonb, 'bench', (SELECT sha256 FROM tray), "
                   f"'published', {2000 + position}, false, {array(pack['tags'])});")
        rows = []
        for s, sticker in enumerate(pack["stickers"]):
            rows.append(f"({literal(sticker['id'])}, {literal(pack['id'])}, {s}, (SELECT sha256 FROM image), {array(sticker['emojis'])}, "
                        f"{array(sticker['keywords'])}, {literal(sticker['label'])}, {literal(json.dumps(sticker['localized'], ensure_ascii=False))}::jsonb)")
        out.append("INSERT INTO stickers (id, pack_id, position, asset_sha256, emojis, keywords, label, localized_keywords) VALUES\n" + ",\n".join(rows) + ";")
    out += ["UPDATE catalog_state SET version = version + 1, changed_at = changed_at + interval '1 second';",
            "INSERT INTO catalog_changes (version, entity_kind, entity_id, operation, changed_at) SELECT version, 'catalog', 'search', 'upsert', now() FROM catalog_state;",
            "SELECT pg_notify('catalog_changed', version::text) FROM catalog_state;", "COMMIT;"]
    return "\n".join(out) + "\n"


def queries(rng, vocabulary, han_words, ru_words, packs):
    """Queries as a picker's users type them: whole words and prefixes of 3+ letters in English, Chinese and Russian;
    two or three words of one sticker (so they meet in one item, as a user's words do); and emoji, some with a skin
    tone."""
    def prefix(w):
        return w if rng.random() < 0.6 else w[: rng.randint(min(3, len(w)), len(w))]

    def word(rng):
        kind = rng.random()
        if kind < 0.6:
            w = rng.choice(vocabulary)
            return w if rng.random() < 0.6 else w[: rng.randint(min(3, len(w)), len(w))]
        if kind < 0.8:
            w = rng.choice(han_words)
            return w if rng.random() < 0.7 else w[0]
        return rng.choice(ru_words)
    # 3,000 distinct: drawn as before (1,937 distinct among the first 3,000 draws, fewer than the 2,048 answers the
    # service remembers per version, so a benchmark cycling through them measured remembered answers), then topped up
    # from a second generator so the few and emoji queries below stay the same.
    one = list(dict.fromkeys(word(rng) for _ in range(3000)))
    more = random.Random(8)
    while len(one) < 3000:
        w = word(more)
        if w not in one:
            one.append(w)
    few = []
    for _ in range(3000):
        sticker = rng.choice(rng.choice(packs)["stickers"])
        words = sticker["keywords"] + sticker["label"].split()
        few.append(" ".join(prefix(w) for w in rng.sample(words, rng.randint(2, 3))))
    emoji = []
    for _ in range(3000):
        e = rng.choice(EMOJI)
        if e in TONEABLE and rng.random() < 0.5:
            e += rng.choice(TONES)
        emoji.append(e)
    return {"one": one, "few": few, "emoji": emoji}


def main():
    rng = random.Random(20261130)
    vocabulary, han_words, ru_words, packs = catalog(rng)
    if sys.argv[1:] == ["sql"]:
        sys.stdout.write(sql(packs))
    elif sys.argv[1:] == ["queries"]:
        json.dump(queries(random.Random(7), vocabulary, han_words, ru_words, packs), sys.stdout, ensure_ascii=False)
    elif sys.argv[1:] == ["json"]:
        json.dump(packs, sys.stdout, ensure_ascii=False)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes src/domain/country_table.rs: every ISO 3166-1 country with its
name in Japanese and English, a katakana reading for sorting Japanese names
(五十音順), and its time zones from the tz database's zone.tab.

Names come from pycountry (Debian iso-codes and its Japanese translation),
with the short forms Japanese forms and the Ministry of Foreign Affairs use
where the translation gives a long official or outdated name. Run it when
the tz database or iso-codes change:

    python3 -m venv /tmp/countries && /tmp/countries/bin/pip install pycountry
    /tmp/countries/bin/python tools/countries/generate.py /usr/share/zoneinfo/zone.tab
"""
import gettext
import pathlib
import re
import sys

import pycountry

# Short Japanese names where the translation is long, official or outdated.
JA = {
    "AQ": "南極", "AU": "オーストラリア", "BN": "ブルネイ", "BO": "ボリビア",
    "CC": "ココス（キーリング）諸島", "CG": "コンゴ共和国", "ER": "エリトリア",
    "FK": "フォークランド諸島", "GB": "イギリス", "GE": "ジョージア",
    "IR": "イラン", "KG": "キルギス", "KP": "北朝鮮", "KR": "韓国",
    "LA": "ラオス", "MD": "モルドバ", "MN": "モンゴル", "RU": "ロシア",
    "SY": "シリア", "TW": "台湾", "TZ": "タンザニア", "US": "アメリカ合衆国",
    "VA": "バチカン", "VE": "ベネズエラ", "WF": "ウォリス・フツナ",
    "UM": "合衆国領有小離島", "MF": "サン・マルタン（フランス領）",
    "SX": "シント・マールテン（オランダ領）",
}
# Short English names where pycountry has only the official one.
EN = {
    "BN": "Brunei", "CD": "Congo (Democratic Republic)", "CG": "Congo (Republic)", "FM": "Micronesia",
    "PS": "Palestine", "RU": "Russia", "VA": "Vatican City",
}
# Readings of names written with kanji, for sorting (katakana).
YOMI = {
    "日本": "ニホン", "中国": "チュウゴク", "韓国": "カンコク", "北朝鮮": "キタチョウセン",
    "台湾": "タイワン", "香港": "ホンコン", "南極": "ナンキョク", "米領サモア": "ベイリョウサモア",
    "フランス南方領土": "フランスナンポウリョウド", "中央アフリカ共和国": "チュウオウアフリカキョウワコク",
    "コンゴ民主共和国": "コンゴミンシュキョウワコク", "コンゴ共和国": "コンゴキョウワコク",
    "ドミニカ共和国": "ドミニカキョウワコク", "西サハラ": "ニシサハラ", "赤道ギニア": "セキドウギニア",
    "仏領ギアナ": "フツリョウギアナ", "英国インド洋領土": "エイコクインドヨウリョウド",
    "ハード島及びマクドナルド諸島": "ハードトウオヨビマクドナルドショトウ", "マン島": "マントウ",
    "北マケドニア": "キタマケドニア", "北マリアナ諸島": "キタマリアナショトウ", "ノーフォーク島": "ノーフォークトウ",
    "仏領ポリネシア": "フツリョウポリネシア", "南スーダン": "ミナミスーダン", "東ティモール": "ヒガシティモール",
    "合衆国領有小離島": "ガッシュウコクリョウユウショウリトウ", "英領ヴァージン諸島": "エイリョウヴァージンショトウ",
    "米領ヴァージン諸島": "ベイリョウヴァージンショトウ", "南アフリカ": "ミナミアフリカ",
    "ブーベ島": "ブーベトウ", "クリスマス島": "クリスマストウ",
}
# Kanji words inside katakana names (longest first).
# The zone most of a country's people live in, where zone.tab (which lists
# zones geographically) does not start with it: picking the country
# suggests this one first.
PRIMARY = {
    "AR": "America/Argentina/Buenos_Aires", "AU": "Australia/Sydney", "BR": "America/Sao_Paulo",
    "CA": "America/Toronto", "CD": "Africa/Kinshasa", "CL": "America/Santiago", "CN": "Asia/Shanghai",
    "CY": "Asia/Nicosia", "DE": "Europe/Berlin", "EC": "America/Guayaquil", "ES": "Europe/Madrid",
    "FM": "Pacific/Pohnpei", "GL": "America/Nuuk", "ID": "Asia/Jakarta", "KI": "Pacific/Tarawa",
    "KZ": "Asia/Almaty", "MH": "Pacific/Majuro", "MN": "Asia/Ulaanbaatar", "MX": "America/Mexico_City",
    "MY": "Asia/Kuala_Lumpur", "NZ": "Pacific/Auckland", "PF": "Pacific/Tahiti", "PG": "Pacific/Port_Moresby",
    "PS": "Asia/Hebron", "PT": "Europe/Lisbon", "RU": "Europe/Moscow", "UA": "Europe/Kyiv",
    "US": "America/New_York", "UZ": "Asia/Tashkent", "UM": "Pacific/Midway",
}
SUFFIXES = {
    "首長国連邦": "シュチョウコクレンポウ", "合衆国": "ガッシュウコク", "民主共和国": "ミンシュキョウワコク", "共和国": "キョウワコク",
    "連邦": "レンポウ", "諸島": "ショトウ", "及び": "オヨビ", "仏領": "フツリョウ", "英領": "エイリョウ",
    "米領": "ベイリョウ", "領": "リョウ", "島": "トウ", "国": "コク", "大陸": "タイリク",
}


def reading(name):
    if name in YOMI:
        return YOMI[name]
    text = name
    for kanji, kana in SUFFIXES.items():
        text = text.replace(kanji, kana)
    if re.search(r"[\u4e00-\u9fff]", text):
        sys.exit(f"no reading for {name}: add it to YOMI")
    # Hiragana to katakana; punctuation is ignored when sorting.
    text = "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in text)
    return re.sub(r"[・、（）() ]", "", text)


def main():
    zone_tab = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/zoneinfo/zone.tab")
    zones = {}
    for line in zone_tab.read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        code, _, zone = line.split("\t")[:3]
        zones.setdefault(code, []).append(zone)
    for code, main_zone in PRIMARY.items():
        if main_zone not in zones.get(code, []):
            sys.exit(f"{main_zone} is not a zone of {code} in {zone_tab}")
        zones[code].remove(main_zone)
        zones[code].insert(0, main_zone)
    ja = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["ja"])
    rows = []
    for c in sorted(pycountry.countries, key=lambda c: c.alpha_2):
        name_ja = JA.get(c.alpha_2) or ja.gettext(c.name)
        name_en = EN.get(c.alpha_2) or getattr(c, "common_name", None) or c.name
        rows.append((c.alpha_2, name_ja, reading(name_ja), name_en, zones.get(c.alpha_2, [])))
    out = [
        "//! Generated by tools/countries/generate.py from pycountry "
        f"{pycountry.__version__ if hasattr(pycountry, '__version__') else ''}".rstrip()
        + " and the tz database's zone.tab; do not edit by hand.",
        "//! (code, Japanese name, its reading in katakana, English name, zones)",
        "",
        "#[rustfmt::skip]",
        "pub(super) const COUNTRIES: &[(&str, &str, &str, &str, &[&str])] = &[",
    ]
    for code, name_ja, yomi, name_en, zs in rows:
        z = ", ".join(f'"{x}"' for x in zs)
        en = name_en.replace('"', '\\"')
        out.append(f'    ("{code}", "{name_ja}", "{yomi}", "{en}", &[{z}]),')
    out.append("];")
    target = pathlib.Path(__file__).resolve().parents[2] / "src/domain/country_table.rs"
    target.write_text("\n".join(out) + "\n")
    print(f"{len(rows)} countries, {sum(len(r[4]) for r in rows)} zones -> {target}")


main()

"""The words the location scan knows: type words («ул.», «д.», «р-н»), prepositions and guards.

Every recognizer of :mod:`curnlp.places.recognizers` decides by looking a lowercase token
(ё folded to е) up in these sets, so the grammar of Russian addresses that is not morphology
lives here, in one place: a new abbreviation or a word that wrongly starts a name is added
here, not in the code that scans.
"""
from __future__ import annotations

# ---------------------------------------------------------------------------
# Type words. Keys are lowercase token texts (ё folded); values: (kind, canonical type, gender, strong)
# "strong" markers accept a lowercase name; weak ones ("проезд", "площадь") need a capitalized one.
# ---------------------------------------------------------------------------

def _forms(words: str, kind: str, canon: str, gender: str, strong: bool) -> dict[str, tuple[str, str, str, bool]]:
    return {w: (kind, canon, gender, strong) for w in words.split()}


STREET = {
    **_forms("улица улицы улице улицу улицей ул улиц улицам улицами улицах", "street", "улица", "femn", True),
    **_forms("проспект проспекта проспекте проспекту проспектом пр-т пр-кт просп пр-те пр-та пр-ту пр-том пр-кте пр-кта", "street", "проспект", "masc", True),
    **_forms("пр", "street", "проспект", "masc", False),
    **_forms("переулок переулка переулке переулку переулком пер", "street", "переулок", "masc", True),
    **_forms("проезд проезда проезде проезду проездом пр-д", "street", "проезд", "masc", False),
    **_forms("шоссе ш", "street", "шоссе", "neut", False),
    **_forms("бульвар бульвара бульваре бульвару бульваром б-р б-ра б-ре б-ру б-ром бул", "street", "бульвар", "masc", True),
    **_forms("площадь площади площадью пл", "street", "площадь", "femn", False),
    **_forms("набережная набережной набережную наб", "street", "набережная", "femn", False),
    **_forms("тупик тупика тупике", "street", "тупик", "masc", False),
}
SETTLEMENT = {
    **_forms("село села селе селу селом с", "settlement", "село", "neut", True),
    **_forms("деревня деревни деревне деревню деревней дер д", "settlement", "деревня", "femn", True),
    **_forms("поселок поселка поселке поселку поселком пос п пгт рп", "settlement", "посёлок", "masc", True),
    **_forms("хутор хутора хуторе хутору х хут", "settlement", "хутор", "masc", True),
    **_forms("слобода слободы слободе слободу сл", "settlement", "слобода", "femn", True),
    **_forms("микрорайон микрорайона микрорайоне микрорайону мкр мкрн мкр-н мкр-на мкр-не м-н мик-н мик-не", "settlement",
             "микрорайон", "masc", True),
    **_forms("снт тсн сдт", "settlement", "СНТ", "neut", True),
    **_forms("город города городе городу городом г гор", "city", "город", "masc", True),
}
MARKERS = {**STREET, **SETTLEMENT}
# abbreviations that are ambiguous with ordinary words unless followed by "." or a capitalized gazetteer name
NEEDS_DOT = frozenset("с п х д г ш пр пл сл пос дер".split())
ABBREVIATIONS = frozenset("""ул пр-т пр-кт просп пр-те пр-та пр-ту пр-том пр-кте пр-кта пр пер пр-д ш б-р бул пл наб с дер д пос п
    пгт рп х хут сл мкр мкрн мкр-н мкр-на мкр-не м-н мик-н мик-не снт тсн сдт г гор""".split())
# markers written after the name: "Курский район", "Сеймский округ", "Курская область"
POST = {
    **{w: "district" for w in "район района районе району районом р-н р-на р-не р-ну рн р-он".split()},
    **{w: "okrug" for w in "округ округа округе округу округом окр".split()},
    **{w: "region" for w in "область области областью обл".split()},
}
# lowercase words that start a street's name in a mixed-case message: a rank before a surname
# («улице генерала григорова»), a month after a day («ул. 8 марта»)
RANKS = frozenset("генерала маршала адмирала академика героя героев летчика лётчика космонавта".split())
MONTHS = frozenset("января февраля марта апреля мая июня июля августа сентября октября ноября декабря".split())
# words between the adjective and a post marker: "Льговский муниципальный округ"
POST_QUALIFIERS = frozenset(("муниципального", "муниципальный", "муниципальном", "административного"))
HOUSE = frozenset("д дом дома доме дому домом домов домам домах домами №".split())
# words before a street name written without a type word: «у дома Островского 4», «во дворе Семеновской, 79», «(Григорова 42)»
HOUSE_BEFORE_NAME = frozenset("дома доме дому домом домов двор двора дворе (".split())
# words after a number that make it a quantity, not a house number
UNITS = frozenset("""час часа часов ч мин минут минуты год года лет г гг м метр метров метра км кг руб рублей рубля
    человек чел раз этаж этажа этаже подъезд подъезда подъезде числа число
    января февраля марта апреля мая июня июля августа сентября октября ноября декабря шт процентов % градусов""".split())
# words that never start or continue a name
NOT_NAME = frozenset("""и или в во на по к ко с со у о об от до из за для при около возле напротив между а но
    дом дома доме дому домом домов д кв квартира корпус корп подъезд район р-н обл область город г ул улица""".split())
PLURAL_STREET = frozenset("улиц улицам улицами улицах".split())
# words after which a capitalized name without a type word is a street ("по адресу Клыкова д 4")
ADDRESS_WORDS = frozenset("адресу адрес адресом адресе адресам адресах".split())
CROSSING = frozenset("пересечении пересечение пересечения перекрестке перекресток перекрестка углу угол".split())
STREET_PREP = frozenset("на по с со от до к ко около возле вдоль напротив".split())
# nouns after which a street of the pack stands without a type word: «в сторону Дериглазова», «в районе Сумской»
TOWARD = frozenset("сторону стороны направлении направлению районе района развязке развязки".split())
# a name continued by a number and one of these ("Героев 9-й дивизии", "Бойцов 9 Дивизии")
NUMBERED_UNITS = frozenset("дивизия армия бригада полк съезд гвардия".split())
# capitalized nouns after a preposition that are organisations, not villages ("в Пенсионном Фонде")
NOT_VILLAGE = frozenset("""фонд банк суд центр парк сквер больница поликлиника школа сад управление отдел комитет
    администрация рынок магазин завод клуб дом театр музей институт университет колледж училище лицей гимназия
    станция вокзал аэропорт мир союз служба инспекция прокуратура полиция совет дума собрание компания
    федерация республика""".split())
# numbered landmarks: lemma of the word -> canonical kind ("школы № 54" -> "школа № 54")
LANDMARKS = {"школа": "школа", "сош": "школа", "гимназия": "гимназия", "лицей": "лицей",
              "детсад": "детский сад", "садик": "детский сад", "доу": "детский сад", "мбдоу": "детский сад",
              "сад": "детский сад"}
# institutions a district or town is named in by its adjective: lemma -> canonical
# («в Горшеченской больнице», «Обоянская ЦРБ», «Курчатовской городской поликлиники»)
INSTITUTIONS = {"больница": "больница", "горбольница": "городская больница", "црб": "ЦРБ", "поликлиника": "поликлиника",
                "амбулатория": "амбулатория", "фап": "ФАП", "школа": "школа", "сош": "школа", "гимназия": "гимназия",
                "лицей": "лицей", "администрация": "администрация", "водоканал": "водоканал", "рэс": "РЭС"}
# words between the adjective and the institution («Обоянская центральная районная больница»)
INSTITUTION_QUALIFIERS = frozenset("центральный районный городской средний общеобразовательный участковый".split())
VILLAGE_SUFFIXES = ("овка", "евка", "ёвка", "ино", "ово", "ево", "ёво", "ское", "цкое", "ище", "ичи", "цы", "ки")
# entry tests of the recognizers (see curnlp.places.locations._Scan.starts): the word itself, or the word after it
START_WORDS = frozenset(MARKERS) | HOUSE | CROSSING
BEFORE_POST = frozenset(POST) | POST_QUALIFIERS
PREP_PLACE = frozenset("в во из под до около возле от по на за у близ".split())
ORDINAL_ENDINGS = frozenset("е ое ое й ый ий я ая го ого".split())

#include "demo/names.h"

#include <array>
#include <string_view>

namespace soundtrend::demo {
namespace {

template <size_t N>
std::string_view Pick(std::mt19937_64& rng, const std::array<std::string_view, N>& list) {
  return list[std::uniform_int_distribution<size_t>(0, N - 1)(rng)];
}

bool Chance(std::mt19937_64& rng, double p) {
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng) < p;
}

constexpr std::array<std::string_view, 48> kAdjectives = {
    "Neon",    "Golden", "Midnight", "Electric", "Broken",  "Wild",     "Silent",   "Velvet",
    "Crystal", "Lonely", "Burning",  "Sweet",    "Cold",    "Lucky",    "Crazy",    "Secret",
    "Endless", "Purple", "Summer",   "Faded",    "Cosmic",  "Dirty",    "Little",   "Holy",
    "Sunset",  "Frozen", "Savage",   "Bitter",   "Pretty",  "Hollow",   "Magnetic", "Digital",
    "Paper",   "Silver", "Lazy",     "Reckless", "Tender",  "Wicked",   "Honey",    "Violet",
    "Radiant", "Dreamy", "Restless", "Blue",     "Starlit", "Tropical", "Vintage",  "Hyper"};
constexpr std::array<std::string_view, 56> kNouns = {
    "Heartbeat",  "Rain",    "Fire",   "Summer",  "Dreams",  "Lights", "Paradise", "Ocean",
    "Love",       "Night",   "Sky",    "Girl",    "Boy",     "City",   "Highway",  "Moon",
    "Sun",        "Diamond", "Mirror", "Shadow",  "Thunder", "Angel",  "Roses",    "Tides",
    "Satellite",  "Echo",    "Fever",  "Gravity", "Horizon", "Jungle", "Kiss",     "Lullaby",
    "Motion",     "Memory",  "Party",  "Rhythm",  "Silence", "Storm",  "Vibes",    "Waves",
    "Wonderland", "Youth",   "Bass",   "Drums",   "Sugar",   "Cherry", "Coffee",   "Disco",
    "Galaxy",     "Heaven",  "Island", "Karma",   "Magic",   "Money",  "Runaway",  "Tequila"};
constexpr std::array<std::string_view, 20> kVerbs = {
    "Dancing",  "Running", "Falling", "Dreaming", "Flying",  "Shining", "Waiting",
    "Burning",  "Chasing", "Driving", "Floating", "Fading",  "Calling", "Breaking",
    "Spinning", "Riding",  "Singing", "Losing",   "Rolling", "Glowing"};
constexpr std::array<std::string_view, 14> kPlaces = {
    "the Rain",    "the Dark", "the City",   "the Club",    "Tokyo", "Paris",   "the Moonlight",
    "the Streets", "Miami",    "the Clouds", "Slow Motion", "Space", "the Sun", "Neon Lights"};
// Titles in other languages, including accents and other scripts.
constexpr std::array<std::string_view, 32> kForeignTitles = {"Corazón Roto",
                                                             "Bésame Otra Vez",
                                                             "Mañana",
                                                             "La Última Noche",
                                                             "Café con Leche",
                                                             "Señorita Bonita",
                                                             "Canción del Mar",
                                                             "Pão de Queijo",
                                                             "Saudade",
                                                             "Coração Partido",
                                                             "Ça Va Aller",
                                                             "Été Indien",
                                                             "Déjà Vu",
                                                             "Über den Wolken",
                                                             "Schön",
                                                             "Sjáumst",
                                                             "Hoppípolla",
                                                             "東京",
                                                             "東京の夜",
                                                             "さくら",
                                                             "夜に駆ける",
                                                             "사랑해",
                                                             "봄날",
                                                             "Yalla Habibi",
                                                             "Ya Leil",
                                                             "Kalbim",
                                                             "Gülümse",
                                                             "Żyrafa",
                                                             "Čaj",
                                                             "Niño Lindo",
                                                             "Árbol de Fuego",
                                                             "Sóc Tu"};
constexpr std::array<std::string_view, 10> kVersions = {
    "Remix",      "Sped Up",      "Slowed + Reverb", "Acoustic", "Live",
    "Radio Edit", "Extended Mix", "TikTok Version",  "VIP Mix",  "Nightcore"};

constexpr std::array<std::string_view, 48> kFirstNames = {
    "Maya",  "Liam",   "Olivia",  "Noah",   "Emma",   "Lucas",  "Ava",   "Mateo",
    "Sofia", "Ethan",  "Chloe",   "Leo",    "Zoe",    "Kai",    "Isla",  "Jayden",
    "Nina",  "Marcus", "Aaliyah", "Diego",  "Camila", "Omar",   "Yuna",  "Kenji",
    "Priya", "Arjun",  "Amara",   "Tariq",  "Freya",  "Oskar",  "Elena", "Luca",
    "Mia",   "Jonas",  "Ines",    "Rafael", "Chiara", "Malik",  "Hana",  "Tomás",
    "Zoë",   "Renée",  "José",    "Björk",  "Ólafur", "Łukasz", "Ayşe",  "Dídac"};
constexpr std::array<std::string_view, 40> kLastNames = {
    "Collins",   "Rivera", "Nguyen",   "Okafor",    "Schmidt",   "Rossi",  "Tanaka",
    "Kim",       "Silva",  "Dubois",   "Johansson", "Novak",     "Haddad", "Petrov",
    "Moreno",    "Walker", "Bennett",  "Castillo",  "Fischer",   "Larsen", "Mendes",
    "Park",      "Santos", "Wright",   "Ortiz",     "Lambert",   "Khan",   "Adeyemi",
    "Hayes",     "Vargas", "Müller",   "Núñez",     "Sánchez",   "Öztürk", "Gómez",
    "Håkansson", "Čapek",  "Nørgaard", "Fernández", "Jónsdóttir"};
constexpr std::array<std::string_view, 24> kStageNames = {
    "Nova",  "Blaze", "Echo",  "Vortex", "Luna", "Zephyr", "Kairo", "Sable",
    "Onyx",  "Juno",  "Pixel", "Ryder",  "Skye", "Vega",   "Nyx",   "Rio",
    "Ñengo", "Zé",    "Rosé",  "Kaï",    "Jota", "Mílo",   "Tåke",  "Haru"};
// Real-sounding single names and bands that carry accents or other scripts.
constexpr std::array<std::string_view, 16> kSpecialArtists = {"Beyoncé",
                                                              "Sigur Rós",
                                                              "Ñengo Flow",
                                                              "Céline",
                                                              "Mötley Crüe Tribute",
                                                              "Björk Tribute",
                                                              "Zoë Kravitz Fan",
                                                              "東京ガールズ",
                                                              "Rosalía Tribute",
                                                              "Maître Gims Fan",
                                                              "Måneskin Tribute",
                                                              "Ólafur Arnalds Fan",
                                                              "Héroes del Sur",
                                                              "Ñ Crew",
                                                              "BTS Cover Club",
                                                              "Aurora Borealís"};

}  // namespace

std::string MakeSongTitle(std::mt19937_64& rng) {
  std::string title;
  const int pattern = std::uniform_int_distribution<int>(0, 99)(rng);
  if (pattern < 35) {
    title.append(Pick(rng, kAdjectives)).append(" ").append(Pick(rng, kNouns));
  } else if (pattern < 50) {
    title.append(Pick(rng, kVerbs)).append(" in ").append(Pick(rng, kPlaces));
  } else if (pattern < 60) {
    title.append(Pick(rng, kNouns)).append(" of ").append(Pick(rng, kNouns));
  } else if (pattern < 70) {
    title.append(Pick(rng, kNouns));
  } else if (pattern < 80) {
    static constexpr std::array<std::string_view, 8> kStarts = {
        "I Want ", "Give Me ", "Only ", "No More ", "All My ", "Feel the ", "Hold My ", "Not "};
    title.append(Pick(rng, kStarts)).append(Pick(rng, kNouns));
  } else if (pattern < 92) {
    title.append(Pick(rng, kForeignTitles));
  } else {
    title.append(Pick(rng, kAdjectives)).append(" ").append(Pick(rng, kNouns));
    title.append(" (").append(Pick(rng, kVersions)).append(")");
  }
  return title;
}

std::string MakeArtistName(std::mt19937_64& rng) {
  std::string name;
  const int pattern = std::uniform_int_distribution<int>(0, 99)(rng);
  if (pattern < 40) {
    name.append(Pick(rng, kFirstNames)).append(" ").append(Pick(rng, kLastNames));
  } else if (pattern < 55) {
    name.append("The ").append(Pick(rng, kAdjectives)).append(" ").append(Pick(rng, kNouns));
    if (name.back() != 's') name.append("s");
  } else if (pattern < 65) {
    static constexpr std::array<std::string_view, 5> kPrefixes = {"DJ ", "Lil ", "MC ", "Young ",
                                                                  "Big "};
    name.append(Pick(rng, kPrefixes)).append(Pick(rng, kStageNames));
  } else if (pattern < 75) {
    name.append(Pick(rng, kStageNames));
  } else if (pattern < 85) {
    name.append(Pick(rng, kFirstNames)).append(" ").append(Pick(rng, kLastNames));
    name.append(Chance(rng, 0.5) ? " & " : " feat. ");
    name.append(Pick(rng, kStageNames));
  } else if (pattern < 92) {
    name.append(Pick(rng, kSpecialArtists));
  } else {
    name.append(Pick(rng, kNouns)).append(" ").append(Pick(rng, kNouns));
  }
  return name;
}

std::string MakeUserName(std::mt19937_64& rng) {
  std::string name;
  std::string_view first = Pick(rng, kFirstNames);
  std::string_view last = Pick(rng, kLastNames);
  // User handles are ASCII on the platform: keep only ASCII letters.
  for (char c : first)
    if (c >= 'A' && c <= 'Z')
      name.push_back(static_cast<char>(c + 32));
    else if (c >= 'a' && c <= 'z')
      name.push_back(c);
  static constexpr std::array<std::string_view, 6> kSeparators = {".", "_", "", ".", "x", "_"};
  name.append(Pick(rng, kSeparators));
  for (char c : last)
    if (c >= 'A' && c <= 'Z')
      name.push_back(static_cast<char>(c + 32));
    else if (c >= 'a' && c <= 'z')
      name.push_back(c);
  if (Chance(rng, 0.5)) name.append(std::to_string(std::uniform_int_distribution<int>(1, 99)(rng)));
  return name;
}

}  // namespace soundtrend::demo

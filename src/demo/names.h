// Believable song titles and artist names for the demo platform, built from word lists.
//
// Pure functions of the random engine passed in: the same engine state gives the same
// names. Every name is non-empty, valid UTF-8; some contain non-ASCII letters ("Beyoncé",
// "Sigur Rós", "東京") so accent-insensitive search can be demonstrated.
#pragma once

#include <random>
#include <string>

namespace soundtrend::demo {

// A song title such as "Neon Heartbeat", "Dancing in the Rain", "Corazón Roto".
std::string MakeSongTitle(std::mt19937_64& rng);
// An artist such as "Maya Collins", "The Velvet Tigers", "DJ Ñengo", "Lil Nova & Kenji".
std::string MakeArtistName(std::mt19937_64& rng);
// A platform user name for "original sound - <user>" clips, such as "mayac.dance".
std::string MakeUserName(std::mt19937_64& rng);

}  // namespace soundtrend::demo

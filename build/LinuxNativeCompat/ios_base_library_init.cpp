// libstdc++ 13 (GLIBCXX_3.4.32) added std::ios_base_library_init(), which code compiled against
// it calls to make sure the standard streams are initialised. Older libstdc++ (Debian 12:
// GLIBCXX_3.4.30) initialises them through a static ios_base::Init in every translation unit that
// includes <iostream>; doing the same here gives the patched library the symbol it asks for.
#include <ios>

namespace std
{
    void ios_base_library_init()
    {
        static ios_base::Init init;
    }
}

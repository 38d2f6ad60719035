// Sets VER_FLG_WEAK on one version requirement (for example GLIBCXX_3.4.32) in the
// .gnu.version_r section of a 64-bit little-endian ELF shared library, so the dynamic loader no
// longer refuses the library when the system's libstdc++ lacks that version.
// Usage: mark_version_weak <library.so> <version-name>
#include <elf.h>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

static int fail(const char* message)
{
    std::fprintf(stderr, "mark_version_weak: %s\n", message);
    return 1;
}

int main(int argc, char** argv)
{
    if (argc != 3) return fail("usage: mark_version_weak <library.so> <version-name>");
    std::ifstream in(argv[1], std::ios::binary);
    if (!in) return fail("cannot open the library");
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    in.close();

    if (bytes.size() < sizeof(Elf64_Ehdr)) return fail("file is too small to be an ELF library");
    auto* header = reinterpret_cast<Elf64_Ehdr*>(bytes.data());
    if (std::memcmp(header->e_ident, ELFMAG, SELFMAG) != 0 || header->e_ident[EI_CLASS] != ELFCLASS64)
        return fail("not a 64-bit ELF file");
    if (header->e_shoff + static_cast<size_t>(header->e_shnum) * sizeof(Elf64_Shdr) > bytes.size())
        return fail("section table lies outside the file");

    auto* sections = reinterpret_cast<Elf64_Shdr*>(bytes.data() + header->e_shoff);
    int changed = 0;
    for (int s = 0; s < header->e_shnum; ++s)
    {
        if (sections[s].sh_type != SHT_GNU_verneed) continue;
        const Elf64_Shdr& strings = sections[sections[s].sh_link];
        size_t offset = sections[s].sh_offset;
        for (unsigned n = 0; n < sections[s].sh_info; ++n)
        {
            if (offset + sizeof(Elf64_Verneed) > bytes.size()) return fail("truncated version section");
            auto* need = reinterpret_cast<Elf64_Verneed*>(bytes.data() + offset);
            size_t auxOffset = offset + need->vn_aux;
            for (unsigned a = 0; a < need->vn_cnt; ++a)
            {
                if (auxOffset + sizeof(Elf64_Vernaux) > bytes.size()) return fail("truncated version entry");
                auto* aux = reinterpret_cast<Elf64_Vernaux*>(bytes.data() + auxOffset);
                const char* name = bytes.data() + strings.sh_offset + aux->vna_name;
                if (std::strcmp(name, argv[2]) == 0 && !(aux->vna_flags & VER_FLG_WEAK))
                {
                    aux->vna_flags |= VER_FLG_WEAK;
                    ++changed;
                }
                auxOffset += aux->vna_next;
            }
            if (need->vn_next == 0) break;
            offset += need->vn_next;
        }
    }

    std::ofstream out(argv[1], std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) return fail("cannot write the library");
    std::printf("mark_version_weak: %d requirement(s) of %s marked weak\n", changed, argv[2]);
    return 0;
}

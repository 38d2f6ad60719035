// Compile-time bridge, run-time half: CoreCLR lets this assembly call the ML.NET members that
// build/Publicize made visible to the compiler. Only files in this folder may use them.
[assembly: System.Runtime.CompilerServices.IgnoresAccessChecksTo("Microsoft.ML.Core")]
[assembly: System.Runtime.CompilerServices.IgnoresAccessChecksTo("Microsoft.ML.Data")]

namespace System.Runtime.CompilerServices
{
    /// <summary>Read by the runtime: skip access checks into the named assembly.</summary>
    [AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
    internal sealed class IgnoresAccessChecksToAttribute(string assemblyName) : Attribute
    {
        /// <summary>The assembly whose internals this assembly may use.</summary>
        public string AssemblyName { get; } = assemblyName;
    }
}

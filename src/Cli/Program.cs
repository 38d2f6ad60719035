// mlnetvideo: the MLNetVideo command-line tool. `mlnetvideo --help` lists the commands.
// The process ends through ProcessExit (every output written first): see there why it skips the native teardown.
return MLNetVideo.Cli.ProcessExit.Exit(MLNetVideo.Cli.CliApp.Run(args));

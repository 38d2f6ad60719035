// mlnetvideo: the MLNetVideo command-line tool. `mlnetvideo --help` lists the commands.
return MLNetVideo.Cli.CliApp.Run(args);

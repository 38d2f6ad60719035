// ServeModel: serve a trained video classifier (model.zip) over HTTP with ASP.NET Core.
// Run:  dotnet run --project examples/ServeModel -c Release -- --model out/model.zip [--video-folder out/sample-data] [--urls http://127.0.0.1:5080]
// (train one first: bash scripts/run-sample.sh). Then:
//   curl -F video=@out/sample-data/up/000.mp4 http://127.0.0.1:5080/predict
//     → {"label":"up","score":0.91,"top":[{"label":"up","score":0.91},{"label":"down","score":0.05},{"label":"left","score":0.03}]}
//   curl -H 'Content-Type: application/json' -d '{"path":"up/000.mp4"}' http://127.0.0.1:5080/predict/path   (with --video-folder)
//   curl http://127.0.0.1:5080/health
// Limits and defaults: appsettings.json, section "ServeModel" (upload bytes, video seconds, decode timeout, top-k, concurrency).
using ServeModel;

var app = ServeModelApp.Build(args);
app.Run();

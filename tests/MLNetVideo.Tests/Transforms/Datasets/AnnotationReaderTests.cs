using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Transforms.Datasets;
using MLNetVideo.Transforms.Decoding;

namespace MLNetVideo.Tests.Transforms.Datasets;

/// <summary>The readers of public datasets' annotation formats, on small annotation files written here in each format
/// (the videos are empty placeholder files: the readers only check that they exist).</summary>
[TestClass]
public sealed class AnnotationReaderTests
{
    private static readonly MLContext Ml = new(seed: 1);

    private static string[] Strings(IDataView data, string column) => [.. data.GetColumn<string>(column)];

    private static string[] ColumnNames(IDataView data) => [.. data.Schema.Select(c => c.Name)];

    /// <summary>Creates empty files (and folders for names ending in '/') under <paramref name="root"/>.</summary>
    private static void Touch(string root, params string[] relative)
    {
        foreach (var r in relative)
        {
            string full = Path.Combine(root, r);
            if (r.EndsWith('/'))
            {
                Directory.CreateDirectory(full);
                continue;
            }
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllBytes(full, []);
        }
    }

    // ---------------------------------------------------------------- MMAction2

    [TestMethod]
    public void MMAction2VideoList_LabelMap_BlankLinesIgnored_ColumnsOfTheFormat()
    {
        using var temp = new TempFolder();
        Touch(temp.Path, "videos/a/000.mp4", "videos/b/001.mp4", "videos/b/002.mp4");
        File.WriteAllText(temp.File("map.txt"), "abseiling\nair drumming\n\n");
        File.WriteAllText(temp.File("list.txt"), "a/000.mp4 0\n\n  b/001.mp4\t1  \nb/002.mp4 1\n");

        var data = VideoDataset.FromMMAction2List(Ml, temp.File("list.txt"), temp.File("videos"), labelMapFile: temp.File("map.txt"));

        CollectionAssert.AreEqual(new[] { "VideoPath", "Label" }, ColumnNames(data));
        CollectionAssert.AreEqual(new[] { "a/000.mp4", "b/001.mp4", "b/002.mp4" }, Strings(data, "VideoPath"));
        CollectionAssert.AreEqual(new[] { "abseiling", "air drumming", "air drumming" }, Strings(data, "Label"));
        var noMap = VideoDataset.FromMMAction2List(Ml, temp.File("list.txt"), temp.File("videos"));
        CollectionAssert.AreEqual(new[] { "0", "1", "1" }, Strings(noMap, "Label"));
    }

    [TestMethod]
    public void MMAction2MultiLabelRawframes_KeepsEveryLabel_AndOffsetsBecomeSeconds()
    {
        using var temp = new TempFolder();
        Touch(temp.Path, "frames/v1/", "frames/v2/");
        File.WriteAllText(temp.File("multi.txt"), "v1 163 1 3 5\nv2 122 2\n");
        var multi = VideoDataset.FromMMAction2List(Ml, temp.File("multi.txt"), temp.File("frames"), MMAction2ListKind.Rawframes, multiLabel: true);
        CollectionAssert.AreEqual(new[] { "VideoPath", "Label", "Labels" }, ColumnNames(multi));
        var labels = multi.GetColumn<string[]>("Labels").ToList();
        CollectionAssert.AreEqual(new[] { "1", "3", "5" }, labels[0]);
        CollectionAssert.AreEqual(new[] { "2" }, labels[1]);
        CollectionAssert.AreEqual(new[] { "1", "2" }, Strings(multi, "Label"));

        // Without multiLabel, the three-label line is malformed and named.
        var ex = Assert.ThrowsExactly<InvalidDataException>(() =>
            VideoDataset.FromMMAction2List(Ml, temp.File("multi.txt"), temp.File("frames"), MMAction2ListKind.Rawframes));
        StringAssert.Contains(ex.Message, $"'{temp.File("multi.txt")}', line 1: the line has 3 labels; pass multiLabel: true");

        File.WriteAllText(temp.File("offset.txt"), "v1 12 30 4\nv2 0 15 2\n");
        var offsets = VideoDataset.FromMMAction2List(Ml, temp.File("offset.txt"), temp.File("frames"), MMAction2ListKind.RawframesWithOffset);
        CollectionAssert.AreEqual(new[] { "VideoPath", "Label", "StartSeconds", "EndSeconds" }, ColumnNames(offsets));
        CollectionAssert.AreEqual(new[] { 12 / 30.0, 0 }, offsets.GetColumn<double>("StartSeconds").ToArray());
        CollectionAssert.AreEqual(new[] { 42 / 30.0, 15 / 30.0 }, offsets.GetColumn<double>("EndSeconds").ToArray());
    }

    [TestMethod]
    public void MMAction2_MalformedAndMissing_ThrowNamingFileAndLine_SkipAndFillReport()
    {
        using var temp = new TempFolder();
        Touch(temp.Path, "v/ok.mp4", "v/ok2.mp4");
        string list = temp.File("list.txt");
        File.WriteAllText(list, "ok.mp4 0\nno_label.mp4\nok2.mp4 x\ngone.mp4 1\nok2.mp4 2\n");

        var malformed = Assert.ThrowsExactly<InvalidDataException>(() => VideoDataset.FromMMAction2List(Ml, list, temp.File("v")));
        StringAssert.Contains(malformed.Message, $"'{list}', line 2: expected 'filename label', got 'no_label.mp4'");

        File.WriteAllText(temp.File("missing.txt"), "ok.mp4 0\ngone.mp4 1\n");
        var missing = Assert.ThrowsExactly<FileNotFoundException>(() => VideoDataset.FromMMAction2List(Ml, temp.File("missing.txt"), temp.File("v")));
        StringAssert.Contains(missing.Message, "line 2: the video 'gone.mp4' does not exist in");
        StringAssert.Contains(missing.Message, "OnError = Skip");
        Assert.AreEqual(Path.Combine(temp.File("v"), "gone.mp4"), missing.FileName);

        var problems = new List<AnnotationProblem>();
        var skipped = VideoDataset.FromMMAction2List(Ml, list, temp.File("v"),
            options: new AnnotationReadOptions { OnError = DecodeErrorPolicy.Skip, OnProblem = problems.Add });
        CollectionAssert.AreEqual(new[] { "ok.mp4", "ok2.mp4" }, Strings(skipped, "VideoPath"));
        CollectionAssert.AreEqual(new[] { 2, 3, 4 }, problems.Select(p => p.Line).ToArray());
        Assert.IsTrue(problems.All(p => !p.Kept && p.File == list));
        StringAssert.Contains(problems[1].Reason, "the label 'x' is not a class index");
        Assert.AreEqual("gone.mp4", problems[2].VideoPath);

        problems.Clear();
        var filled = VideoDataset.FromMMAction2List(Ml, list, temp.File("v"),
            options: new AnnotationReadOptions { OnError = DecodeErrorPolicy.Fill, OnProblem = problems.Add });
        CollectionAssert.AreEqual(new[] { "ok.mp4", "gone.mp4", "ok2.mp4" }, Strings(filled, "VideoPath"));
        CollectionAssert.AreEqual(new[] { false, false, true }, problems.Select(p => p.Kept).ToArray());

        var unchecked_ = VideoDataset.FromMMAction2List(Ml, temp.File("missing.txt"), temp.File("v"), options: new AnnotationReadOptions { CheckVideosExist = false });
        CollectionAssert.AreEqual(new[] { "ok.mp4", "gone.mp4" }, Strings(unchecked_, "VideoPath"));
    }

    [TestMethod]
    public void MissingAnnotationFile_EmptyResult_BadLabelMap_AreClearErrors()
    {
        using var temp = new TempFolder();
        Touch(temp.Path, "v/a.mp4");
        var missing = Assert.ThrowsExactly<FileNotFoundException>(() => VideoDataset.FromMMAction2List(Ml, temp.File("nope.txt"), temp.File("v")));
        StringAssert.Contains(missing.Message, $"The annotation file '{temp.File("nope.txt")}' does not exist");

        File.WriteAllText(temp.File("list.txt"), "gone.mp4 0\n");
        var empty = Assert.ThrowsExactly<InvalidDataException>(() => VideoDataset.FromMMAction2List(Ml, temp.File("list.txt"), temp.File("v"),
            options: new AnnotationReadOptions { OnError = DecodeErrorPolicy.Skip }));
        StringAssert.Contains(empty.Message, "all 1 had problems; the first:");

        File.WriteAllText(temp.File("map.txt"), "a\n\nc\n");
        var map = Assert.ThrowsExactly<InvalidDataException>(() => VideoDataset.FromMMAction2List(Ml, temp.File("list.txt"), temp.File("v"), labelMapFile: temp.File("map.txt")));
        StringAssert.Contains(map.Message, "line 2: the label map has a blank line");

        File.WriteAllText(temp.File("map.txt"), "a\n");
        File.WriteAllText(temp.File("list.txt"), "a.mp4 1\n");
        var index = Assert.ThrowsExactly<InvalidDataException>(() => VideoDataset.FromMMAction2List(Ml, temp.File("list.txt"), temp.File("v"), labelMapFile: temp.File("map.txt")));
        StringAssert.Contains(index.Message, "line 1: the class index 1 is not in the label map");
    }

    // ---------------------------------------------------------------- Kinetics

    [TestMethod]
    public void KineticsCsv_DownloaderNaming_FindsLabelAndSplitFolders_QuotedLabels()
    {
        using var temp = new TempFolder();
        Touch(temp.Path,
            "k/abseiling/abc-_DEF123_000010_000020.mp4",           // official downloader: {label}/{id}_{start:06d}_{end:06d}.mp4
            "k/val/xyz0000000A_000000_000010.mkv",                  // CVDF archives: {split}/…, here as .mkv
            "k/passing_American_football_(in_game)/q_000003_000013.mp4"); // spaces → underscores
        File.WriteAllText(temp.File("train.csv"),
            "label,youtube_id,time_start,time_end,split,is_cc\n" +
            "abseiling,abc-_DEF123,10,20,train,0\n" +
            "\"carving, wood\",xyz0000000A,0,10,val,0\n" +
            "\"passing American football (in game)\",q,3,13,train,1\n");

        var data = VideoDataset.FromKineticsCsv(Ml, temp.File("train.csv"), temp.File("k"));

        CollectionAssert.AreEqual(new[] { "VideoPath", "Label", "Split" }, ColumnNames(data));
        CollectionAssert.AreEqual(new[]
        {
            "abseiling/abc-_DEF123_000010_000020.mp4", "val/xyz0000000A_000000_000010.mkv", "passing_American_football_(in_game)/q_000003_000013.mp4",
        }, Strings(data, "VideoPath"));
        CollectionAssert.AreEqual(new[] { "abseiling", "carving, wood", "passing American football (in game)" }, Strings(data, "Label"));
        CollectionAssert.AreEqual(new[] { "train", "val", "train" }, Strings(data, "Split"));
    }

    [TestMethod]
    public void KineticsCsv_UntrimmedVideos_GiveSegments_TestCsvWithoutLabels()
    {
        using var temp = new TempFolder();
        Touch(temp.Path, "k/test/aaa.mp4", "k/bbb.webm");
        File.WriteAllText(temp.File("test.csv"), "youtube_id,time_start,time_end,split\naaa,12.5,22.5,test\nbbb,0,10,test\n");

        var data = VideoDataset.FromKineticsCsv(Ml, temp.File("test.csv"), temp.File("k"), KineticsVideoNaming.Id);

        CollectionAssert.AreEqual(new[] { "VideoPath", "Label", "StartSeconds", "EndSeconds", "Split" }, ColumnNames(data));
        CollectionAssert.AreEqual(new[] { "test/aaa.mp4", "bbb.webm" }, Strings(data, "VideoPath"));
        CollectionAssert.AreEqual(new[] { "", "" }, Strings(data, "Label"));
        CollectionAssert.AreEqual(new[] { 12.5, 0 }, data.GetColumn<double>("StartSeconds").ToArray());
        CollectionAssert.AreEqual(new[] { 22.5, 10 }, data.GetColumn<double>("EndSeconds").ToArray());
    }

    [TestMethod]
    public void KineticsCsv_BadHeaderTimesAndIds_AreNamed()
    {
        using var temp = new TempFolder();
        Touch(temp.Path, "k/a/ok_000000_000010.mp4");
        File.WriteAllText(temp.File("bad-header.csv"), "label,id,start,end\n");
        var header = Assert.ThrowsExactly<InvalidDataException>(() => VideoDataset.FromKineticsCsv(Ml, temp.File("bad-header.csv"), temp.File("k")));
        StringAssert.Contains(header.Message, "line 1: the header must name the columns youtube_id, time_start, time_end (Kinetics: label,youtube_id,time_start,time_end,split)");

        File.WriteAllText(temp.File("rows.csv"), "label,youtube_id,time_start,time_end,split\na,ok,0,10,train\na,x,20,10,train\na,../up,0,10,train\na,y,0\n\"a,unterminated\n");
        var problems = new List<AnnotationProblem>();
        var data = VideoDataset.FromKineticsCsv(Ml, temp.File("rows.csv"), temp.File("k"),
            options: new AnnotationReadOptions { OnError = DecodeErrorPolicy.Skip, OnProblem = problems.Add });
        CollectionAssert.AreEqual(new[] { "a/ok_000000_000010.mp4" }, Strings(data, "VideoPath"));
        CollectionAssert.AreEqual(new[] { 3, 4, 5, 6 }, problems.Select(p => p.Line).ToArray());
        StringAssert.Contains(problems[0].Reason, "time_start '20' and time_end '10' must be seconds with time_start < time_end");
        StringAssert.Contains(problems[1].Reason, "'../up' is not a video id");
        StringAssert.Contains(problems[2].Reason, "expected 5 fields as in the header, got 3");
        StringAssert.Contains(problems[3].Reason, "a quoted field is not closed before the end of the file");
    }

    // ---------------------------------------------------------------- UCF101 / HMDB51

    [TestMethod]
    public void Ucf101Split_ClassIndexTrainAndTestLists_WithWindowsLineEnds()
    {
        using var temp = new TempFolder();
        Touch(temp.Path, "UCF-101/ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi", "UCF-101/ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi",
            "UCF-101/HandstandPushups/v_HandStandPushups_g09_c01.avi", "UCF-101/HandstandPushups/v_HandStandPushups_g01_c01.avi");
        Directory.CreateDirectory(temp.File("lists"));
        File.WriteAllText(temp.File("lists/classInd.txt"), "1 ApplyEyeMakeup\r\n2 HandstandPushups\r\n");
        File.WriteAllText(temp.File("lists/trainlist01.txt"),
            "ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 1\r\nHandstandPushups/v_HandStandPushups_g09_c01.avi 2\r\n");
        File.WriteAllText(temp.File("lists/testlist01.txt"),
            "ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi\r\nHandstandPushups/v_HandStandPushups_g01_c01.avi\r\n");

        var data = VideoDataset.FromUcf101Split(Ml, temp.File("lists"), temp.File("UCF-101"));

        CollectionAssert.AreEqual(new[] { "VideoPath", "Label", "Split" }, ColumnNames(data));
        CollectionAssert.AreEqual(new[]
        {
            "ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi", "HandstandPushups/v_HandStandPushups_g09_c01.avi",
            "ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi", "HandstandPushups/v_HandStandPushups_g01_c01.avi",
        }, Strings(data, "VideoPath"));
        CollectionAssert.AreEqual(new[] { "ApplyEyeMakeup", "HandstandPushups", "ApplyEyeMakeup", "HandstandPushups" }, Strings(data, "Label"));
        CollectionAssert.AreEqual(new[] { "train", "train", "test", "test" }, Strings(data, "Split"));

        // A training line whose index is another class's, and a missing list file.
        File.WriteAllText(temp.File("lists/trainlist02.txt"), "ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 2\n");
        var wrong = Assert.ThrowsExactly<InvalidDataException>(() => VideoDataset.FromUcf101Split(Ml, temp.File("lists"), temp.File("UCF-101"), split: 2));
        StringAssert.Contains(wrong.Message, "trainlist02.txt', line 1: the class index '2' is not that of 'ApplyEyeMakeup' (1)");
        var noTest = Assert.ThrowsExactly<FileNotFoundException>(() => VideoDataset.FromUcf101Split(Ml, temp.File("lists"), temp.File("UCF-101"), split: 3));
        StringAssert.Contains(noTest.Message, "trainlist03.txt' does not exist");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => VideoDataset.FromUcf101Split(Ml, temp.File("lists"), temp.File("UCF-101"), split: 4));
    }

    [TestMethod]
    public void Hmdb51Split_FlagsOneTwoZero_ClassFromFileName()
    {
        using var temp = new TempFolder();
        Touch(temp.Path, "hmdb/brush_hair/A_brush_hair_0.avi", "hmdb/brush_hair/B_brush_hair_1.avi", "hmdb/clap/C_clap_0.avi");
        Directory.CreateDirectory(temp.File("splits"));
        File.WriteAllText(temp.File("splits/clap_test_split1.txt"), "C_clap_0.avi 2 \nD_clap_1.avi 0 \n");
        File.WriteAllText(temp.File("splits/brush_hair_test_split1.txt"), "A_brush_hair_0.avi 1 \nB_brush_hair_1.avi 2 \n");
        File.WriteAllText(temp.File("splits/brush_hair_test_split2.txt"), "A_brush_hair_0.avi 3 \n");

        var data = VideoDataset.FromHmdb51Split(Ml, temp.File("splits"), temp.File("hmdb"));

        CollectionAssert.AreEqual(new[] { "brush_hair/A_brush_hair_0.avi", "brush_hair/B_brush_hair_1.avi", "clap/C_clap_0.avi" }, Strings(data, "VideoPath"));
        CollectionAssert.AreEqual(new[] { "brush_hair", "brush_hair", "clap" }, Strings(data, "Label"));
        CollectionAssert.AreEqual(new[] { "train", "test", "test" }, Strings(data, "Split"));

        var bad = Assert.ThrowsExactly<InvalidDataException>(() => VideoDataset.FromHmdb51Split(Ml, temp.File("splits"), temp.File("hmdb"), split: 2));
        StringAssert.Contains(bad.Message, "brush_hair_test_split2.txt', line 1: expected 'video.avi 0|1|2'");
        var none = Assert.ThrowsExactly<FileNotFoundException>(() => VideoDataset.FromHmdb51Split(Ml, temp.File("splits"), temp.File("hmdb"), split: 3));
        StringAssert.Contains(none.Message, "_test_split3.txt' file");
    }

    // ---------------------------------------------------------------- Something-Something v2

    [TestMethod]
    public void SomethingSomethingV2_LabelsFromTemplates_IdsToWebm_LinesOfEntries()
    {
        using var temp = new TempFolder();
        Touch(temp.Path, "ssv2/78687.webm", "ssv2/42326.webm", "ssv2/1420.webm");
        File.WriteAllText(temp.File("labels.json"), "{\n \"Holding something next to something\": \"0\",\n \"Putting something on a surface\": \"1\"\n}");
        File.WriteAllText(temp.File("train.json"), """
            [
              {"id": "78687", "label": "holding potato next to vicks vaporub bottle",
               "template": "Holding [something] next to [something]", "placements": ["potato", "vicks vaporub bottle"]},
              {"id": "42326", "label": "putting a pen on a table",
               "template": "Putting [something] on a surface", "placements": ["a pen"]},
              {"id": "99999", "label": "x",
               "template": "Spinning [something] so it continues spinning", "placements": ["x"]}
            ]
            """);

        var problems = new List<AnnotationProblem>();
        var data = VideoDataset.FromSomethingSomethingV2(Ml, temp.File("train.json"), temp.File("ssv2"), temp.File("labels.json"),
            new AnnotationReadOptions { OnError = DecodeErrorPolicy.Skip, OnProblem = problems.Add });

        CollectionAssert.AreEqual(new[] { "VideoPath", "Label" }, ColumnNames(data));
        CollectionAssert.AreEqual(new[] { "78687.webm", "42326.webm" }, Strings(data, "VideoPath"));
        CollectionAssert.AreEqual(new[] { "Holding something next to something", "Putting something on a surface" }, Strings(data, "Label"));
        Assert.HasCount(1, problems);
        Assert.AreEqual(6, problems[0].Line, "the third entry starts on line 6");
        StringAssert.Contains(problems[0].Reason, "the class \"Spinning something so it continues spinning\" (id 99999) is not in");

        File.WriteAllText(temp.File("test.json"), "[{\"id\": \"1420\"}, {\"id\": 78687}]");
        var test = VideoDataset.FromSomethingSomethingV2(Ml, temp.File("test.json"), temp.File("ssv2"));
        CollectionAssert.AreEqual(new[] { "1420.webm", "78687.webm" }, Strings(test, "VideoPath"));
        CollectionAssert.AreEqual(new[] { "", "" }, Strings(test, "Label"));

        File.WriteAllText(temp.File("broken.json"), "[\n {\"id\": \"1420\"},\n {\"id\": \n");
        var broken = Assert.ThrowsExactly<InvalidDataException>(() => VideoDataset.FromSomethingSomethingV2(Ml, temp.File("broken.json"), temp.File("ssv2")));
        StringAssert.Contains(broken.Message, "broken.json', line 4: not valid JSON");
        File.WriteAllText(temp.File("object.json"), "{\"id\": \"1\"}");
        var notArray = Assert.ThrowsExactly<InvalidDataException>(() => VideoDataset.FromSomethingSomethingV2(Ml, temp.File("object.json"), temp.File("ssv2")));
        StringAssert.Contains(notArray.Message, "expected a JSON array of entries");
    }

    // ---------------------------------------------------------------- Charades (multi-label)

    [TestMethod]
    public void CharadesCsv_MultiLabelPerVideo_AndPerActionSegments()
    {
        using var temp = new TempFolder();
        Touch(temp.Path, "c/46GP8.mp4", "c/N11GT.mp4", "c/EMPTY.mp4");
        File.WriteAllText(temp.File("classes.txt"), "c092 Putting something on a shelf\nc147 Sitting in a chair\nc098 Holding a phone\n");
        File.WriteAllText(temp.File("train.csv"),
            "id,subject,scene,quality,relevance,verified,script,objects,descriptions,actions,length\n" +
            "46GP8,HR43,Kitchen,6,7,Yes,\"A person, cooking.\nThen sitting.\",food;chair,\"They cook, then sit.\",c092 11.90 21.20;c147 0.00 12.60;c092 25.0 30.0,24.83\n" +
            "N11GT,0KZ7,Stairs,6,7,Yes,text,phone,desc,c098 8.60 14.20,18.33\n" +
            "EMPTY,X,Room,5,5,Yes,text,,desc,,10.0\n");

        var perVideo = VideoDataset.FromCharadesCsv(Ml, temp.File("train.csv"), temp.File("c"), temp.File("classes.txt"));
        CollectionAssert.AreEqual(new[] { "VideoPath", "Label", "Labels" }, ColumnNames(perVideo));
        CollectionAssert.AreEqual(new[] { "46GP8.mp4", "N11GT.mp4", "EMPTY.mp4" }, Strings(perVideo, "VideoPath"));
        var labels = perVideo.GetColumn<string[]>("Labels").ToList();
        CollectionAssert.AreEqual(new[] { "Putting something on a shelf", "Sitting in a chair" }, labels[0]);
        CollectionAssert.AreEqual(new[] { "Holding a phone" }, labels[1]);
        Assert.IsEmpty(labels[2]);

        var perAction = VideoDataset.FromCharadesCsv(Ml, temp.File("train.csv"), temp.File("c"), rows: CharadesRows.PerAction);
        CollectionAssert.AreEqual(new[] { "VideoPath", "Label", "StartSeconds", "EndSeconds" }, ColumnNames(perAction));
        CollectionAssert.AreEqual(new[] { "c092", "c147", "c092", "c098" }, Strings(perAction, "Label"));
        CollectionAssert.AreEqual(new[] { 11.9, 0, 25, 8.6 }, perAction.GetColumn<double>("StartSeconds").ToArray());
        CollectionAssert.AreEqual(new[] { 21.2, 12.6, 30, 14.2 }, perAction.GetColumn<double>("EndSeconds").ToArray());

        // The quoted script spans two lines, so the next record starts on line 4.
        File.WriteAllText(temp.File("classes.txt"), "c092 Putting something on a shelf\n");
        var unknown = Assert.ThrowsExactly<InvalidDataException>(() =>
            VideoDataset.FromCharadesCsv(Ml, temp.File("train.csv"), temp.File("c"), temp.File("classes.txt")));
        StringAssert.Contains(unknown.Message, "train.csv', line 2: the action class 'c147' is not in");
        var problems = new List<AnnotationProblem>();
        VideoDataset.FromCharadesCsv(Ml, temp.File("train.csv"), temp.File("c"), temp.File("classes.txt"),
            options: new AnnotationReadOptions { OnError = DecodeErrorPolicy.Skip, OnProblem = problems.Add });
        CollectionAssert.AreEqual(new[] { 2, 4 }, problems.Select(p => p.Line).ToArray());
    }

    [TestMethod]
    public void CsvRecords_QuotesDoubledQuotesAndLineBreaks()
    {
        var lines = new[] { "a,\"b,c\",\"say \"\"hi\"\"\"", "\"x", "y\",z", "", "p,,q" }.Select((t, i) => (i + 1, t));
        var records = CsvRecords.Read(lines).ToList();
        Assert.HasCount(3, records);
        CollectionAssert.AreEqual(new[] { "a", "b,c", "say \"hi\"" }, records[0].Fields);
        Assert.AreEqual(2, records[1].Line);
        CollectionAssert.AreEqual(new[] { "x\ny", "z" }, records[1].Fields);
        CollectionAssert.AreEqual(new[] { "p", "", "q" }, records[2].Fields);
        var open = CsvRecords.Read([(1, "a,\"b")]).Single();
        Assert.IsNotNull(open.Error);
    }

    [TestMethod]
    public void ReadRows_FeedLoadVideoFrames_WithTheSameVideoFolder()
    {
        using var temp = new TempFolder();
        string videos = temp.File("videos");
        Directory.CreateDirectory(Path.Combine(videos, "up"));
        TestVideos.WriteRamp(Path.Combine(videos, "up"), "000", frames: 6, step: 40, size: 16);
        File.WriteAllText(temp.File("list.txt"), "up/000.mp4 0\n");
        var data = VideoDataset.FromMMAction2List(Ml, temp.File("list.txt"), videos);
        var clips = TestVideos.ReadClips(Ml.Transforms.LoadVideoFrames("Frames", "VideoPath", videoFolder: videos, framesPerClip: 2, frameInterval: 1, frameSize: 16)
            .Fit(data).Transform(data));
        Assert.HasCount(1, clips);
        Assert.HasCount(2 * 3 * 16 * 16, clips[0]);
        // The centred 2-frame clip of 6 frames is frames 2 and 3: levels 80 and 120.
        Assert.AreEqual(80 / 255.0, TestVideos.FrameMean(clips[0], 0, 0, 16), 4 / 255.0);
        Assert.AreEqual(120 / 255.0, TestVideos.FrameMean(clips[0], 1, 0, 16), 4 / 255.0);
    }
}

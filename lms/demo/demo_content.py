"""The catalog that seed_demo creates: two courses of real-looking lessons."""

COURSES = [
    {
        "title": "Python Foundations",
        "description": (
            "A friendly first course in programming. You will install Python, write and run "
            "your first programs, and learn the building blocks every Python developer uses "
            "daily: values, collections, loops, functions and modules.\n\n"
            "No prior experience needed: every lesson is short and ends with something "
            "you can try right away."
        ),
        "modules": [
            {
                "title": "Getting started",
                "description": "Set up your tools and run your first lines of Python.",
                "lessons": [
                    (
                        "Why Python?",
                        8,
                        "Python is one of the most widely used programming languages in the "
                        "world. Scientists use it to analyse data, web developers to build "
                        "sites, and system administrators to automate repetitive work.\n\n"
                        "Its syntax reads almost like English, which makes it a great first "
                        "language: you spend your energy on the problem, not on punctuation.\n\n"
                        "In this course you will learn the core of the language. Everything "
                        "you see here also applies to the more advanced libraries you will "
                        "meet later.",
                    ),
                    (
                        "Installing Python and an editor",
                        12,
                        "Download Python 3 from python.org, or install it with your "
                        "system's package manager. Open a terminal and type "
                        "python3 --version to check that it worked.\n\n"
                        "Any text editor can write Python, but an editor that understands "
                        "the language helps a lot: it colours your code, points out typos "
                        "and lets you run a file with one key.\n\n"
                        "Create a folder for this course; you will keep every exercise "
                        "there.",
                    ),
                    (
                        "Your first program",
                        10,
                        "Create a file called hello.py containing the line "
                        "print('Hello, world!') and run it with the command python3 hello.py.\n\n"
                        "print() writes whatever you give it to the screen. Try changing the "
                        "text, or printing a calculation such as print(6 * 7).\n\n"
                        "Exercise: write a program that prints your name and the year you "
                        "were born, each on its own line.",
                    ),
                ],
            },
            {
                "title": "Working with data",
                "description": "Numbers, text and collections, and how to make decisions.",
                "lessons": [
                    (
                        "Numbers and strings",
                        15,
                        "Python has whole numbers (int), decimal numbers (float) and text "
                        "(str). You can store any of them in a variable: price = 9.99.\n\n"
                        "Strings can be joined with +, repeated with *, and formatted with "
                        "f-strings: f'Total: {price * 3:.2f}'.\n\n"
                        "Exercise: ask the user for two numbers with input() and print their "
                        "sum. Remember that input() always returns a string.",
                    ),
                    (
                        "Lists and dictionaries",
                        18,
                        "A list holds items in order: colours = ['red', 'green', 'blue']. "
                        "You can add to it with append() and read an item by its position, "
                        "starting at zero.\n\n"
                        "A dictionary maps keys to values: ages = {'alice': 31, 'bob': 27}. "
                        "Looking a value up by its key is fast, whatever the size of the "
                        "dictionary.\n\n"
                        "Choosing the right collection is half of writing clear code.",
                    ),
                    (
                        "Loops and conditions",
                        16,
                        "if, elif and else let a program choose what to do. Indentation "
                        "marks which lines belong to which branch.\n\n"
                        "for loops repeat a block for every item of a collection; while "
                        "loops repeat as long as a condition holds.\n\n"
                        "Exercise: print every number from 1 to 30, but print 'Fizz' for "
                        "multiples of 3, 'Buzz' for multiples of 5, and 'FizzBuzz' for "
                        "multiples of both.",
                    ),
                ],
            },
            {
                "title": "Writing functions",
                "description": "Organise your code so that it is easy to reuse and to test.",
                "lessons": [
                    (
                        "Defining functions",
                        14,
                        "A function gives a name to a piece of code: def area(width, "
                        "height): return width * height.\n\n"
                        "Good functions do one thing, have a descriptive name and return a "
                        "value instead of printing it, so that other code can use the "
                        "result.\n\n"
                        "Default arguments and keyword arguments make calls easier to read: "
                        "area(width=3, height=4).",
                    ),
                    (
                        "Modules and packages",
                        12,
                        "As programs grow, you split them into files. Each .py file is a "
                        "module that other files can import.\n\n"
                        "Python's standard library is a large collection of modules that "
                        "ship with the language: math, datetime, json, pathlib and many "
                        "more.\n\n"
                        "Exercise: use the random module to simulate rolling two dice a "
                        "thousand times and count how often each total comes up.",
                    ),
                    (
                        "Handling errors",
                        15,
                        "When something goes wrong, Python raises an exception. Reading the "
                        "traceback from the bottom up tells you what happened and where.\n\n"
                        "try and except let your program recover: ask again when the user "
                        "types a word instead of a number, or report a missing file "
                        "clearly.\n\n"
                        "Catch only the errors you expect; let the others surface so that "
                        "bugs are found early.",
                    ),
                ],
            },
        ],
    },
    {
        "title": "Building Web Apps with Django",
        "description": (
            "Learn how a modern web application is put together by building one with Django: "
            "URLs, views and templates, a database through the ORM, forms, user accounts, "
            "live updates over websockets, and finally deployment."
        ),
        "modules": [
            {
                "title": "The request cycle",
                "description": "What happens between a click and a page on the screen.",
                "lessons": [
                    (
                        "How the web works",
                        10,
                        "A browser sends an HTTP request: a method such as GET or POST, a "
                        "path, headers and sometimes a body. The server answers with a "
                        "status code, headers and content.\n\n"
                        "Django's job is to turn each request into a response, and to give "
                        "you a clean place for every step of that work.",
                    ),
                    (
                        "URLs and views",
                        14,
                        "The URL configuration maps paths to views. A view is a function "
                        "that receives the request and returns a response.\n\n"
                        "Keep views thin: read the input, call the code that does the work, "
                        "and render the result.",
                    ),
                    (
                        "Templates",
                        14,
                        "Templates turn data into HTML. Variables are escaped automatically, "
                        "so text typed by a user is shown as text, never run as code.\n\n"
                        "A base template holds the layout shared by every page; the other "
                        "templates extend it and fill in blocks.",
                    ),
                ],
            },
            {
                "title": "Data and models",
                "description": "Describe your data once and let Django handle the database.",
                "lessons": [
                    (
                        "Models and migrations",
                        16,
                        "A model is a Python class that describes a table: its fields, their "
                        "types and constraints.\n\n"
                        "makemigrations records each change to your models as a migration; "
                        "migrate applies it to the database, in order, on every machine.",
                    ),
                    (
                        "The ORM in practice",
                        18,
                        "Querysets are lazy: filters, ordering and slicing build one SQL "
                        "query that runs only when you use the results.\n\n"
                        "select_related and prefetch_related load related rows up front, "
                        "which avoids one query per item in a list.",
                    ),
                    (
                        "Forms and validation",
                        15,
                        "Forms parse and validate user input, and render helpful error "
                        "messages next to each field.\n\n"
                        "Every form that changes data is sent with POST and protected by a "
                        "CSRF token, so other sites cannot submit it on your behalf.",
                    ),
                ],
            },
            {
                "title": "Going live",
                "description": "Accounts, realtime features and running in production.",
                "lessons": [
                    (
                        "Authentication",
                        12,
                        "django.contrib.auth provides users, password hashing, login and "
                        "logout. Passwords are never stored, only salted, slow hashes.\n\n"
                        "Decorators such as login_required protect pages; permissions decide "
                        "what each signed-in user may do.",
                    ),
                    (
                        "Realtime updates with Channels",
                        20,
                        "Channels adds websockets to Django. The server can push an event to "
                        "the browser the moment something changes: a new message, a "
                        "progress bar moving, a notification.\n\n"
                        "Send events only after the database transaction commits, so that "
                        "nobody is told about a change that was rolled back.",
                    ),
                    (
                        "Deploying",
                        15,
                        "In production, turn DEBUG off, set a long random SECRET_KEY and "
                        "list your host names in ALLOWED_HOSTS.\n\n"
                        "Run several application processes behind a load balancer, with a "
                        "shared PostgreSQL database and Redis for the channel layer.",
                    ),
                ],
            },
        ],
    },
]

# A quiz on one lesson of the first course: (question, [(choice, correct), ...]).
QUIZ = {
    "lesson": "Loops and conditions",
    "pass_mark": 70,
    "pass_required": True,
    "questions": [
        (
            "Which keywords let a program choose between branches?",
            [("if", True), ("elif", True), ("else", True), ("loop", False)],
        ),
        (
            "What marks which lines belong to a branch in Python?",
            [("Curly braces", False), ("Indentation", True), ("Semicolons", False)],
        ),
        (
            "Which loop repeats as long as a condition holds?",
            [("for", False), ("while", True), ("repeat", False)],
        ),
    ],
}

WELCOME_THREAD = {
    "title": "Welcome! Introduce yourself",
    "message": (
        "Welcome to Python Foundations! Tell us who you are, what you would like to build "
        "with Python, and ask anything about the course here."
    ),
}
